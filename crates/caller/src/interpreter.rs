//! Interpreters (`python3`, `node`, `sh`, …) run whatever code they are given, so the
//! interpreter alone names no program: `python3 tool.py` is `tool.py`, and `python3 -c CODE`
//! is whoever launched it. Here: which executables are interpreters, which argument names the
//! script one runs, and where that file is. The platform reads the arguments.
//!
//! The arguments are read conservatively: an option this table does not know could take the
//! next argument as its value, so after one the script is not guessed at (the process is then
//! named after its launcher, like inline code). Guessing could name a script the interpreter
//! is not running.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The script an interpreter runs.
#[derive(Debug, Default)]
pub(crate) struct Script {
    /// Where it is (absolute, symlinks resolved), when the argument names a file.
    pub path: Option<PathBuf>,
    /// The argument as given: a relative one means another file once the working directory
    /// changes, so this, not `path`, is what is compared later.
    pub argument: Option<OsString>,
}

/// The script `executable` runs given `argv`; a relative path is taken from `cwd`.
pub(crate) fn script(
    executable: &Path,
    argv: &[OsString],
    cwd: impl FnOnce() -> Option<PathBuf>,
) -> Script {
    let Some(argument) = script_argument(executable, argv) else {
        return Script::default();
    };
    let given = Path::new(argument);
    let path = if given.is_absolute() {
        Some(given.to_path_buf())
    } else {
        cwd().map(|cwd| cwd.join(given))
    };
    Script {
        path: path
            .and_then(|path| path.canonicalize().ok())
            .filter(|path| path.is_file()),
        argument: Some(argument.to_owned()),
    }
}

/// How one interpreter family reads its command line.
struct Family {
    /// Executable file names, also with a version after them (`python3.11`, `perl5.36.0`).
    names: &'static [&'static str],
    /// Whether a script can be named at all (`env` runs a program, never a script).
    runs_scripts: bool,
    /// Short options that take the code from the command line or stdin: no script.
    inline: &'static str,
    /// Short options without a value.
    flags: &'static str,
    /// Short options whose value is the rest of the word, else the next argument.
    values: &'static str,
    /// Short options whose value, if any, is the rest of the word.
    attached: &'static str,
    /// Short options whose value, if any, is the digits after them (`perl -l0ne`).
    numeric: &'static str,
    long_inline: &'static [&'static str],
    long_flags: &'static [&'static str],
    long_values: &'static [&'static str],
    /// Words before the script: `run` is skipped (`deno run x.ts`); any other is a subcommand
    /// that runs no script of the person's (`deno eval`, `bun x`).
    subcommands: &'static [&'static str],
}

const NONE: &[&str] = &[];

/// `sh -c` between an app and the bridge is how the app starts it, not who asks.
const SHELLS: Family = Family {
    names: &[
        "sh", "bash", "rbash", "dash", "ash", "zsh", "ksh", "mksh", "pdksh", "yash", "posh",
        "tcsh", "csh",
    ],
    runs_scripts: true,
    inline: "cs",
    flags: "abefhiklmnprtuvxBCEHPT",
    values: "oO",
    attached: "",
    numeric: "",
    long_inline: NONE,
    long_flags: &[
        "--login",
        "--norc",
        "--noprofile",
        "--posix",
        "--restricted",
        "--verbose",
        "--noediting",
        "--debugger",
    ],
    long_values: &["--rcfile", "--init-file"],
    subcommands: NONE,
};

/// fish: `-C` runs code before the script.
const FISH: Family = Family {
    names: &["fish"],
    runs_scripts: true,
    inline: "cC",
    flags: "ilnNP",
    values: "d",
    attached: "",
    numeric: "",
    long_inline: &["--command", "--init-command"],
    long_flags: &[
        "--login",
        "--interactive",
        "--no-execute",
        "--no-config",
        "--private",
    ],
    long_values: &["--debug"],
    subcommands: NONE,
};

const PYTHON: Family = Family {
    names: &["python", "pythonw", "pypy"],
    runs_scripts: true,
    inline: "cm",
    flags: "bBdEhiIOPqRsSuvVx",
    values: "WX",
    attached: "",
    numeric: "",
    long_inline: NONE,
    long_flags: &["--help", "--version"],
    long_values: &["--check-hash-based-pycs"],
    subcommands: NONE,
};

const NODE: Family = Family {
    names: &["node", "nodejs"],
    runs_scripts: true,
    inline: "ep",
    flags: "chiv",
    values: "rC",
    attached: "",
    numeric: "",
    long_inline: &["--eval", "--print", "--run", "--test", "--interactive"],
    long_flags: &[
        "--no-warnings",
        "--enable-source-maps",
        "--no-deprecation",
        "--trace-warnings",
        "--trace-deprecation",
        "--throw-deprecation",
        "--trace-uncaught",
        "--preserve-symlinks",
        "--preserve-symlinks-main",
        "--expose-gc",
        "--experimental-vm-modules",
        "--experimental-strip-types",
        "--no-experimental-strip-types",
        "--no-experimental-fetch",
        "--abort-on-uncaught-exception",
        "--frozen-intrinsics",
        "--use-openssl-ca",
        "--use-system-ca",
        "--jitless",
        "--no-addons",
        "--watch",
    ],
    long_values: &[
        "--require",
        "--import",
        "--loader",
        "--experimental-loader",
        "--conditions",
        "--input-type",
        "--env-file",
        "--title",
        "--disable-warning",
        "--max-old-space-size",
        "--stack-size",
    ],
    subcommands: NONE,
};

const DENO: Family = Family {
    names: &["deno"],
    runs_scripts: true,
    inline: "",
    flags: "Aq",
    values: "c",
    attached: "",
    numeric: "",
    long_inline: NONE,
    long_flags: &[
        "--allow-all",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-sys",
        "--allow-ffi",
        "--no-prompt",
        "--no-check",
        "--no-lock",
        "--quiet",
        "--unstable",
        "--watch",
    ],
    long_values: &[
        "--config",
        "--import-map",
        "--lock",
        "--location",
        "--seed",
        "--cert",
    ],
    subcommands: &[
        "run",
        "add",
        "bench",
        "bundle",
        "cache",
        "check",
        "clean",
        "compile",
        "completions",
        "coverage",
        "doc",
        "eval",
        "fmt",
        "info",
        "init",
        "install",
        "jupyter",
        "lint",
        "lsp",
        "outdated",
        "publish",
        "remove",
        "repl",
        "serve",
        "task",
        "test",
        "types",
        "uninstall",
        "upgrade",
        "vendor",
        "x",
    ],
};

const BUN: Family = Family {
    names: &["bun"],
    runs_scripts: true,
    inline: "ep",
    flags: "b",
    values: "rc",
    attached: "",
    numeric: "",
    long_inline: &["--eval", "--print"],
    long_flags: &[
        "--bun",
        "--hot",
        "--watch",
        "--smol",
        "--silent",
        "--no-install",
    ],
    long_values: &["--preload", "--cwd", "--config", "--env-file"],
    subcommands: &[
        "run", "add", "audit", "build", "create", "exec", "info", "init", "install", "link",
        "outdated", "patch", "pm", "publish", "remove", "repl", "test", "unlink", "update",
        "upgrade", "x",
    ],
};

const RUBY: Family = Family {
    names: &["ruby"],
    runs_scripts: true,
    // -S looks the script up on the PATH.
    inline: "eS",
    flags: "acdhlnpsvwyU",
    values: "CEIr",
    attached: "FiKx",
    numeric: "0TW",
    long_inline: NONE,
    long_flags: &["--help", "--version", "--verbose", "--yjit", "--jit"],
    long_values: &["--encoding"],
    subcommands: NONE,
};

const PERL: Family = Family {
    names: &["perl"],
    runs_scripts: true,
    // -S looks the script up on the PATH.
    inline: "eES",
    flags: "achnpstTuUvwWX",
    values: "I",
    attached: "dDFimMVx",
    numeric: "0Cl",
    long_inline: NONE,
    long_flags: NONE,
    long_values: NONE,
    subcommands: NONE,
};

const OSASCRIPT: Family = Family {
    names: &["osascript"],
    runs_scripts: true,
    inline: "e",
    flags: "i",
    values: "ls",
    attached: "",
    numeric: "",
    long_inline: NONE,
    long_flags: NONE,
    long_values: NONE,
    subcommands: NONE,
};

/// `env` starts a program in its place; while it runs, nothing of the person's is in it.
const ENV: Family = Family {
    names: &["env"],
    runs_scripts: false,
    inline: "",
    flags: "",
    values: "",
    attached: "",
    numeric: "",
    long_inline: NONE,
    long_flags: NONE,
    long_values: NONE,
    subcommands: NONE,
};

const FAMILIES: &[&Family] = &[
    &SHELLS, &FISH, &PYTHON, &NODE, &DENO, &BUN, &RUBY, &PERL, &OSASCRIPT, &ENV,
];

/// Whether `executable` is an interpreter, by its file name (not the process's name, which
/// any program can set).
pub(crate) fn is_interpreter(executable: &Path) -> bool {
    family(executable).is_some()
}

/// The argument naming the script that `argv` (`argv[0]` first) makes `executable` run, as
/// given: the first argument that is not an option. `None` for inline code (`-c`, `-e`),
/// stdin, a module (`python3 -m`), a subcommand, no argument, or an option this table does
/// not know. Whether it is a file is for the caller to find out.
pub(crate) fn script_argument<'a>(executable: &Path, argv: &'a [OsString]) -> Option<&'a OsStr> {
    let family = family(executable)?;
    if !family.runs_scripts {
        return None;
    }
    let mut args = argv.iter().skip(1).map(OsString::as_os_str);
    let mut first_word = true;
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        match bytes {
            b"--" => return args.next(),
            b"-" => return None,
            [b'-', b'-', long @ ..] => {
                let name = long.split(|&b| b == b'=').next().unwrap_or_default();
                let name = [b"--", name].concat();
                let known = |list: &[&str]| list.iter().any(|o| o.as_bytes() == name);
                if known(family.long_inline) {
                    return None;
                }
                let attached = long.contains(&b'=');
                if known(family.long_values) && !attached {
                    args.next()?;
                } else if !(attached || known(family.long_flags) || known(family.long_values)) {
                    return None;
                }
            }
            [b'-', short @ ..] => {
                if !short_options(family, short, &mut args)? {
                    return None;
                }
            }
            _ if first_word && family.subcommands.iter().any(|w| w.as_bytes() == bytes) => {
                if bytes != b"run" {
                    return None;
                }
                first_word = false;
            }
            _ => return Some(arg),
        }
    }
    None
}

/// Reads one word of short options (`-Bu`, `-Wdefault`, `-W default`), taking the next
/// argument when an option's value is there. `Some(true)`: read; `Some(false)`: inline code
/// or an unknown option; `None`: a value is missing.
fn short_options<'a>(
    family: &Family,
    letters: &[u8],
    args: &mut impl Iterator<Item = &'a OsStr>,
) -> Option<bool> {
    let has = |set: &str, letter: u8| set.as_bytes().contains(&letter);
    let mut i = 0;
    while let Some(&letter) = letters.get(i) {
        i += 1;
        if has(family.inline, letter) {
            return Some(false);
        } else if has(family.flags, letter) {
            continue;
        } else if has(family.numeric, letter) {
            while letters.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        } else if has(family.attached, letter) {
            return Some(true);
        } else if has(family.values, letter) {
            if i == letters.len() {
                args.next()?;
            }
            return Some(true);
        } else {
            return Some(false);
        }
    }
    Some(true)
}

fn family(executable: &Path) -> Option<&'static Family> {
    let name = executable.file_name()?.as_bytes();
    FAMILIES
        .iter()
        .copied()
        .find(|family| family.names.iter().any(|base| is_named(name, base)))
}

/// `name` is `base`, or `base` and a version (`python3`, `python3.11`, `zsh-5.9`).
fn is_named(name: &[u8], base: &str) -> bool {
    let Some(version) = name.strip_prefix(base.as_bytes()) else {
        return false;
    };
    let version = version.strip_prefix(b"-").unwrap_or(version);
    version.is_empty()
        || (version[0].is_ascii_digit() && version.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(exe: &str, args: &[&str]) -> Option<String> {
        let argv: Vec<OsString> = std::iter::once(exe)
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        script_argument(Path::new(exe), &argv).map(|s| s.to_string_lossy().into_owned())
    }

    #[test]
    fn interpreters_are_known_by_file_name_with_or_without_a_version() {
        for exe in [
            "/usr/bin/python3",
            "/usr/bin/python3.11",
            "/opt/homebrew/bin/pypy3.10",
            "/usr/local/bin/node",
            "/usr/bin/perl5.36.0",
            "/usr/bin/ruby3.1",
            "/bin/sh",
            "/bin/zsh-5.9",
            "/usr/bin/osascript",
            "/usr/bin/env",
            "/home/me/.deno/bin/deno",
            "/home/me/.bun/bin/bun",
            "/usr/bin/fish",
        ] {
            assert!(is_interpreter(Path::new(exe)), "{exe}");
        }
        for exe in [
            "/usr/bin/python3.11-config",
            "/usr/bin/nodemon",
            "/usr/local/bin/claude",
            "/Applications/Claude.app/Contents/MacOS/Claude",
            "/usr/bin/shred",
            "/usr/bin/envsubst",
        ] {
            assert!(!is_interpreter(Path::new(exe)), "{exe}");
        }
    }

    #[test]
    fn the_script_is_the_first_argument_that_is_not_an_option() {
        assert_eq!(
            script("python3", &["tool.py", "-c", "x"]).as_deref(),
            Some("tool.py")
        );
        assert_eq!(
            script("python3", &["-u", "-B", "/t.py"]).as_deref(),
            Some("/t.py")
        );
        assert_eq!(
            script("python3", &["-Bu", "/t.py"]).as_deref(),
            Some("/t.py")
        );
        assert_eq!(
            script("python3", &["-W", "ignore", "/t.py"]).as_deref(),
            Some("/t.py")
        );
        assert_eq!(
            script("python3", &["-Wignore", "/t.py"]).as_deref(),
            Some("/t.py")
        );
        assert_eq!(
            script("python3", &["--", "-odd.py"]).as_deref(),
            Some("-odd.py")
        );
        assert_eq!(
            script("bash", &["-e", "-o", "pipefail", "s.sh"]).as_deref(),
            Some("s.sh")
        );
        assert_eq!(
            script("bash", &["--rcfile", "/x", "s.sh"]).as_deref(),
            Some("s.sh")
        );
        assert_eq!(
            script(
                "node",
                &["--enable-source-maps", "--require", "/r.js", "/cli.js"]
            )
            .as_deref(),
            Some("/cli.js")
        );
        assert_eq!(
            script("node", &["--max-old-space-size=4096", "/cli.js"]).as_deref(),
            Some("/cli.js")
        );
        assert_eq!(
            script("perl", &["-w", "-I", "/lib", "x.pl"]).as_deref(),
            Some("x.pl")
        );
        assert_eq!(
            script("perl", &["-MStrict", "x.pl"]).as_deref(),
            Some("x.pl")
        );
        assert_eq!(script("perl", &["-l012w", "x.pl"]).as_deref(), Some("x.pl"));
        assert_eq!(
            script("ruby", &["-W0", "-r", "json", "x.rb"]).as_deref(),
            Some("x.rb")
        );
        assert_eq!(
            script("deno", &["run", "-A", "/m.ts"]).as_deref(),
            Some("/m.ts")
        );
        assert_eq!(script("bun", &["/m.ts"]).as_deref(), Some("/m.ts"));
        assert_eq!(
            script("osascript", &["-l", "JavaScript", "/s.js"]).as_deref(),
            Some("/s.js")
        );
    }

    #[test]
    fn inline_code_stdin_and_modules_name_no_script() {
        for (exe, args) in [
            ("python3", &["-c", "import os", "/allowed.py"][..]),
            ("python3", &["-Bc", "import os", "/allowed.py"]),
            ("python3", &["-m", "http.server"]),
            ("python3", &["-"]),
            ("python3", &[]),
            ("sh", &["-c", "latchkey mcp", "/allowed.sh"]),
            ("bash", &["-ec", "latchkey mcp"]),
            ("bash", &["-s", "/allowed.sh"]),
            ("node", &["-e", "1", "/allowed.js"]),
            ("node", &["--eval=1", "/allowed.js"]),
            ("node", &["-pe", "1"]),
            ("perl", &["-lne", "print", "/allowed.pl"]),
            ("perl", &["-0777ne", "print", "/allowed.pl"]),
            ("perl", &["-S", "allowed.pl"]),
            ("ruby", &["-e", "1", "/allowed.rb"]),
            ("osascript", &["-e", "beep", "/allowed.scpt"]),
            ("fish", &["-C", "/allowed.fish", "/x.fish"]),
            ("deno", &["eval", "1", "/allowed.ts"]),
            ("bun", &["x", "/allowed.ts"]),
            ("env", &["/usr/bin/python3", "/allowed.py"]),
        ] {
            assert_eq!(script(exe, args), None, "{exe} {args:?}");
        }
    }

    #[test]
    fn an_option_not_understood_ends_the_search() {
        // `--frobnicate` might take `/allowed.js` as its value, with `/evil.js` the script.
        assert_eq!(
            script("node", &["--frobnicate", "/allowed.js", "/evil.js"]),
            None
        );
        assert_eq!(script("python3", &["-Z", "/allowed.py"]), None);
        assert_eq!(script("python3", &["-W"]), None, "a value is missing");
        assert_eq!(script("node", &["--require"]), None);
    }
}
