// The inline check both credential forms run as fields change.
import { backend, commandError, type Account, type CommandError } from '../../lib/backend';

/** What credentials_check finds wrong with these fields; null when the check itself failed
 *  (Save then reports what is wrong: a failed check only means no inline hints). */
export async function fieldProblems(label: string, account: Account): Promise<CommandError[] | null> {
  try {
    return await backend.credentialsCheck(label, account);
  } catch (e) {
    console.error(`credentials_check failed: ${commandError(e).message}`);
    return null;
  }
}

/** A field check whose answers reach `report` only when no later check was started: an
 *  older check that answers late never overwrites a newer one. Returns what each call found. */
export function latestOnly(report: (errors: CommandError[]) => void) {
  let latest = 0;
  return async (label: string, account: Account): Promise<CommandError[] | null> => {
    const mine = ++latest;
    const errors = await fieldProblems(label, account);
    if (errors && mine === latest) report(errors);
    return errors;
  };
}
