//! macOS application bundles: which `.app` an executable lives in, and what its `Info.plist`
//! calls it. Plain paths and a plist parser, so it is tested on Linux too.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use crate::{AppInfo, ProcessInfo};

/// Real `Info.plist` files are a few KiB; a bigger one is not read (it comes from another
/// program, so its size is not ours to trust).
const MAX_INFO_PLIST: u64 = 1 << 20;

/// The app around the first of `processes` that lives inside one.
pub(crate) fn app_for(processes: &[ProcessInfo]) -> Option<AppInfo> {
    processes
        .iter()
        .find_map(|p| outermost_app(p.executable.as_deref()?))
        .map(app_info)
}

/// The outermost `X.app` directory of `executable` that is laid out as a bundle
/// (`X.app/Contents/…`), so that a helper deep inside an app
/// (`Cursor.app/Contents/Frameworks/Cursor Helper (Plugin).app/Contents/MacOS/…`) counts as
/// the app itself.
pub(crate) fn outermost_app(executable: &Path) -> Option<PathBuf> {
    let mut bundle = PathBuf::new();
    let mut components = executable.components().peekable();
    while let Some(component) = components.next() {
        bundle.push(component);
        let next_is_contents = matches!(components.peek(), Some(Component::Normal(n)) if n.eq_ignore_ascii_case("Contents"));
        if let Component::Normal(name) = component
            && is_app(name)
            && next_is_contents
        {
            return Some(bundle);
        }
    }
    None
}

fn is_app(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("app"))
}

/// What `bundle/Contents/Info.plist` says of the app; the file name stands in for a name the
/// plist does not give.
pub(crate) fn app_info(bundle: PathBuf) -> AppInfo {
    let plist = read_plist(&bundle.join("Contents").join("Info.plist"));
    let string = |key: &str| {
        let value = plist
            .as_ref()?
            .as_dictionary()?
            .get(key)?
            .as_string()?
            .trim();
        (!value.is_empty()).then(|| value.to_string())
    };
    let name = string("CFBundleDisplayName")
        .or_else(|| string("CFBundleName"))
        .unwrap_or_else(|| {
            bundle
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        });
    AppInfo {
        bundle_id: string("CFBundleIdentifier"),
        name,
        path: bundle,
    }
}

/// An XML or binary plist, or `None` when missing, too big or not a plist.
fn read_plist(path: &Path) -> Option<plist::Value> {
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_INFO_PLIST + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_INFO_PLIST {
        return None;
    }
    plist::Value::from_reader(Cursor::new(bytes)).ok()
}

#[cfg(test)]
mod tests {
    use plist::{Dictionary, Value};

    use super::*;

    fn outermost(path: &str) -> Option<String> {
        outermost_app(Path::new(path)).map(|p| p.to_string_lossy().into_owned())
    }

    #[test]
    fn finds_the_app_of_its_main_executable() {
        assert_eq!(
            outermost("/Applications/Claude.app/Contents/MacOS/Claude").as_deref(),
            Some("/Applications/Claude.app")
        );
    }

    #[test]
    fn a_helper_inside_an_app_belongs_to_the_outer_app() {
        let helper = "/Applications/Cursor.app/Contents/Frameworks/Cursor Helper (Plugin).app/Contents/MacOS/Cursor Helper (Plugin)";
        assert_eq!(
            outermost(helper).as_deref(),
            Some("/Applications/Cursor.app")
        );
    }

    #[test]
    fn only_a_bundle_layout_counts() {
        assert_eq!(outermost("/opt/homebrew/bin/node"), None);
        assert_eq!(outermost("/Users/me/tools.app/bin/node"), None);
        assert_eq!(
            outermost("/Users/me/Foo.APP/contents/MacOS/Foo").as_deref(),
            Some("/Users/me/Foo.APP")
        );
    }

    fn bundle_with(dir: &Path, name: &str, entries: &[(&str, &str)], binary: bool) -> PathBuf {
        let bundle = dir.join(name);
        std::fs::create_dir_all(bundle.join("Contents/MacOS")).unwrap();
        let mut dict = Dictionary::new();
        for (key, value) in entries {
            dict.insert(key.to_string(), Value::String(value.to_string()));
        }
        let file = File::create(bundle.join("Contents/Info.plist")).unwrap();
        let value = Value::Dictionary(dict);
        if binary {
            value.to_writer_binary(file)
        } else {
            value.to_writer_xml(file)
        }
        .unwrap();
        bundle
    }

    #[test]
    fn reads_id_and_display_name_from_an_xml_plist() {
        let dir = tempfile::tempdir().unwrap();
        let entries = [
            ("CFBundleIdentifier", "com.anthropic.claudefordesktop"),
            ("CFBundleName", "Claude"),
            ("CFBundleDisplayName", "Claude Desktop"),
        ];
        let app = app_info(bundle_with(dir.path(), "Claude.app", &entries, false));
        assert_eq!(
            app.bundle_id.as_deref(),
            Some("com.anthropic.claudefordesktop")
        );
        assert_eq!(app.name, "Claude Desktop");
    }

    #[test]
    fn reads_a_binary_plist_and_falls_back_to_the_bundle_name() {
        let dir = tempfile::tempdir().unwrap();
        let entries = [
            ("CFBundleIdentifier", "com.todesktop.230313mzl4w4u92"),
            ("CFBundleName", "Cursor"),
            ("CFBundleDisplayName", " "),
        ];
        let app = app_info(bundle_with(dir.path(), "Cursor.app", &entries, true));
        assert_eq!(
            app.bundle_id.as_deref(),
            Some("com.todesktop.230313mzl4w4u92")
        );
        assert_eq!(app.name, "Cursor");
    }

    #[test]
    fn without_a_readable_plist_the_file_name_names_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("Some Tool.app");
        std::fs::create_dir_all(bundle.join("Contents")).unwrap();
        std::fs::write(bundle.join("Contents/Info.plist"), b"not a plist").unwrap();
        let app = app_info(bundle.clone());
        assert_eq!(
            (app.name.as_str(), app.bundle_id, app.path),
            ("Some Tool", None, bundle)
        );
        let missing = app_info(dir.path().join("Gone.app"));
        assert_eq!((missing.name.as_str(), missing.bundle_id), ("Gone", None));
    }

    #[test]
    fn the_app_is_that_of_the_first_process_inside_one() {
        let p = |pid, exe: &str| ProcessInfo {
            pid,
            executable: Some(PathBuf::from(exe)),
            name: String::new(),
            script: None,
        };
        let chain = [
            p(3, "/Users/me/.local/share/claude/versions/2.1.3"),
            p(2, "/bin/zsh"),
            p(
                1,
                "/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper.app/Contents/MacOS/Code Helper",
            ),
        ];
        let app = app_for(&chain).unwrap();
        assert_eq!(
            (app.path.as_path(), app.name.as_str()),
            (
                Path::new("/Applications/Visual Studio Code.app"),
                "Visual Studio Code"
            )
        );
        assert_eq!(app_for(&chain[..2]), None);
    }
}
