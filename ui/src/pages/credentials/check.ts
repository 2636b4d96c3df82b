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
