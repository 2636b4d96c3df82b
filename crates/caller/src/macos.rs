//! macOS: the peer's pid from `getsockopt(SOL_LOCAL, LOCAL_PEERPID)` and its audit token from
//! `LOCAL_PEERTOKEN`, each process from `proc_pidinfo(PROC_PIDTBSDINFO)` (parent, effective
//! uid, name, start time) and `proc_pidpath` (executable), an interpreter's arguments from
//! `sysctl(KERN_PROCARGS2)` and its working directory from `PROC_PIDVNODEPATHINFO`, and code
//! signatures from the Security framework. Type-checked on Linux by check-macos; not yet run
//! on a Mac.
//!
//! `LOCAL_PEERPID` rather than tokio's `peer_cred().pid()`, which asks for
//! `LOCAL_PEEREPID`: the *effective* pid a privileged daemon may have delegated the socket
//! to. We want the process that actually connected.

use std::ffi::{OsString, c_char, c_int};
use std::io;
use std::mem::size_of;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use core_foundation::base::{CFType, CFTypeRef, OSStatus, TCFType};
use core_foundation::data::CFData;
use core_foundation::dictionary::{CFDictionary, CFDictionaryRef};
use core_foundation::string::{CFString, CFStringRef};
use security_framework::os::macos::code_signing::{
    Flags, GuestAttributes, SecCode, SecRequirement,
};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::unix::{OwnedReadHalf, UCred};
use tokio::net::{UnixListener, UnixStream};

pub(crate) use crate::bundle::app_for;
use crate::chain::{Image, Proc};
use crate::pin::Changed;
use crate::{CodeSignature, ProcessInfo, interpreter};

/// The executable's path: macOS gives no file identity of a running image, and the audit
/// token (see [`Peer`]) tells an `exec` of the peer apart.
pub(crate) type ExecutableId = PathBuf;

pub(crate) fn peer_pid(stream: &UnixStream, _cred: &UCred) -> Option<u32> {
    let mut pid: libc::pid_t = 0;
    let mut len = size_of::<libc::pid_t>() as libc::socklen_t;
    // SAFETY: the fd is borrowed from `stream`, so it stays open for the call; `pid` and `len`
    // are live locals, `pid` is the pid_t LOCAL_PEERPID writes and `len` holds its size.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_LOCAL,
            libc::LOCAL_PEERPID,
            (&raw mut pid).cast(),
            &mut len,
        )
    };
    let complete = rc == 0 && len as usize == size_of::<libc::pid_t>();
    complete
        .then_some(pid)
        .and_then(|pid| u32::try_from(pid).ok())
        .filter(|&pid| pid != 0)
}

/// macOS holds no process by a handle of its own: each check looks the pid up again, and the
/// peer's audit token (checked at every call too) tells an `exec` or a reused pid.
pub(crate) type Handle = std::convert::Infallible;

/// Never called: there is no [`Handle`].
pub(crate) fn image(handle: &Handle, _interpreter: bool) -> Option<Image> {
    match *handle {}
}

pub(crate) fn process(pid: u32) -> Option<Proc> {
    let c_pid = c_int::try_from(pid).ok()?;
    let info = bsd_info(c_pid)?;
    let name = Some(c_string(&info.pbi_name))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| c_string(&info.pbi_comm));
    let started = info
        .pbi_start_tvsec
        .saturating_mul(1_000_000)
        .saturating_add(info.pbi_start_tvusec);
    let executable = executable(c_pid);
    let script = executable
        .as_deref()
        .filter(|exe| interpreter::is_interpreter(exe))
        .map(|exe| script(c_pid, exe))
        .unwrap_or_default();
    Some(Proc {
        info: ProcessInfo {
            pid,
            executable: executable.clone(),
            name,
            script: script.path,
        },
        ppid: info.pbi_ppid,
        uid: info.pbi_uid,
        started,
        image: Image {
            executable,
            script_argument: script.argument,
        },
        handle: None,
    })
}

/// The script an interpreter runs, from its arguments, relative ones from its working
/// directory.
fn script(pid: c_int, executable: &Path) -> interpreter::Script {
    match arguments(pid) {
        Some(argv) => interpreter::script(executable, &argv, || working_directory(pid)),
        None => interpreter::Script::default(),
    }
}

/// The arguments the process was started with (`KERN_PROCARGS2`).
fn arguments(pid: c_int) -> Option<Vec<OsString>> {
    let mut max: c_int = 0;
    let mut len = size_of::<c_int>();
    let mut mib = [libc::CTL_KERN, libc::KERN_ARGMAX];
    // SAFETY: `mib` names a 2-level int sysctl; `max` and `len` are live locals, `len` its size.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            2,
            (&raw mut max).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    let mut buf = vec![0u8; usize::try_from(max).ok()?];
    let mut len = buf.len();
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
    // SAFETY: `buf` is a live, writable buffer of `len` bytes; sysctl writes at most that many
    // and sets `len` to how many it wrote.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    buf.truncate(len);
    procargs(&buf)
}

/// `KERN_PROCARGS2`: `argc` (an int), the executable's path, NUL padding, then `argc`
/// NUL-ended arguments (and the environment, not read).
fn procargs(buf: &[u8]) -> Option<Vec<OsString>> {
    let argc = usize::try_from(c_int::from_ne_bytes(buf.get(..4)?.try_into().ok()?)).ok()?;
    let rest = &buf[4..];
    let rest = &rest[rest.iter().position(|&b| b == 0)?..];
    let rest = &rest[rest.iter().position(|&b| b != 0)?..];
    let argv: Vec<OsString> = rest
        .split(|&b| b == 0)
        .take(argc)
        .map(|arg| OsString::from_vec(arg.to_vec()))
        .collect();
    (argv.len() == argc).then_some(argv)
}

fn working_directory(pid: c_int) -> Option<PathBuf> {
    let size = c_int::try_from(size_of::<libc::proc_vnodepathinfo>()).ok()?;
    // SAFETY: proc_vnodepathinfo holds only integers and byte arrays, so all zeroes is a
    // valid value; proc_pidinfo writes at most `size` bytes into it and returns how many.
    #[allow(unsafe_code)]
    let (written, info) = unsafe {
        let mut info: libc::proc_vnodepathinfo = std::mem::zeroed();
        let written = libc::proc_pidinfo(
            pid,
            libc::PROC_PIDVNODEPATHINFO,
            0,
            (&raw mut info).cast(),
            size,
        );
        (written, info)
    };
    let path = c_string(info.pvi_cdir.vip_path.as_flattened());
    (written == size && !path.is_empty()).then(|| PathBuf::from(path))
}

/// The process that connected, by its audit token (`LOCAL_PEERTOKEN`): its pid version
/// changes when it starts another program, so a token taken at connect fits no other image.
#[derive(Debug)]
pub(crate) struct Peer {
    token: [u32; 8],
}

pub(crate) fn peer(stream: &UnixStream, _pid: u32) -> Option<Peer> {
    let mut token = [0u32; 8];
    let mut len = size_of::<[u32; 8]>() as libc::socklen_t;
    // SAFETY: the fd is borrowed from `stream`, so it stays open for the call; `token` (an
    // audit_token_t: eight u32) and `len` are live locals, `len` holding its size.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_LOCAL,
            libc::LOCAL_PEERTOKEN,
            (&raw mut token).cast(),
            &mut len,
        )
    };
    (rc == 0 && len as usize == size_of::<[u32; 8]>()).then_some(Peer { token })
}

/// `errSecCSUnsigned`: the code is there but carries no signature to check.
const ERR_SEC_CS_UNSIGNED: OSStatus = -67062;

impl Peer {
    /// Whether the code running under the audit token is still there: the Security framework
    /// finds no code for a token whose pid exited or started another program since.
    pub(crate) fn verify(&self, pid: u32, runs: &str) -> Result<(), Changed> {
        let changed = || Changed::Executed {
            pid,
            was: runs.to_owned(),
        };
        let bytes: Vec<u8> = self.token.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let token = CFData::from_buffer(&bytes);
        let mut guest = GuestAttributes::new();
        guest.set_audit_token(token.as_concrete_TypeRef());
        let code =
            SecCode::copy_guest_with_attribues(None, &guest, Flags::NONE).map_err(|_| changed())?;
        let always: SecRequirement = "always".parse().map_err(|_| changed())?;
        match code.check_validity(Flags::NONE, &always) {
            Ok(()) => Ok(()),
            Err(e) if e.code() == ERR_SEC_CS_UNSIGNED => Ok(()),
            Err(_) => Err(changed()),
        }
    }
}

/// macOS gives no writer per message on a stream socket: the bytes as they come.
pub(crate) fn poll_recv(
    half: &mut OwnedReadHalf,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<Option<u32>>> {
    Pin::new(half).poll_read(cx, buf).map_ok(|()| None)
}

/// Nothing to prepare: see [`poll_recv`].
pub(crate) fn prepare_listener(_listener: &UnixListener) -> io::Result<()> {
    Ok(())
}

fn bsd_info(pid: c_int) -> Option<libc::proc_bsdinfo> {
    let size = c_int::try_from(size_of::<libc::proc_bsdinfo>()).ok()?;
    // SAFETY: proc_bsdinfo holds only integers and byte arrays, so all zeroes is a valid
    // value; proc_pidinfo writes at most `size` bytes into it and returns how many it wrote.
    #[allow(unsafe_code)]
    let (written, info) = unsafe {
        let mut info: libc::proc_bsdinfo = std::mem::zeroed();
        let written =
            libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size);
        (written, info)
    };
    (written == size).then_some(info)
}

fn executable(pid: c_int) -> Option<PathBuf> {
    let mut buf = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE as usize];
    let capacity = u32::try_from(buf.len()).ok()?;
    // SAFETY: `buf` is a live, writable buffer of `capacity` bytes; proc_pidpath writes at most
    // that many and returns the path's length, or 0 / -1 on failure.
    #[allow(unsafe_code)]
    let len = unsafe { libc::proc_pidpath(pid, buf.as_mut_ptr().cast(), capacity) };
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len > 0 && len <= buf.len())?;
    buf.truncate(len);
    Some(PathBuf::from(OsString::from_vec(buf)))
}

/// Only a signature from a certificate Apple issued (or Apple's own) names a team: an
/// ad-hoc or self-signed one could claim any.
const REQUIREMENT: &str = "anchor apple generic";

/// `kSecCSSigningInformation`: include the certificate-derived fields, the team among them.
const SIGNING_INFORMATION: u32 = 1 << 1;

// security-framework 3.7 and security-framework-sys 2.17 do not bind these. Declared as in
// <Security/SecCode.h>: `code` is a SecStaticCodeRef (a SecCodeRef is accepted too), the
// flags a SecCSFlags (u32), the constants `const CFStringRef`.
#[link(name = "Security", kind = "framework")]
#[allow(unsafe_code)]
unsafe extern "C" {
    fn SecCodeCopySigningInformation(
        code: CFTypeRef,
        flags: u32,
        information: *mut CFDictionaryRef,
    ) -> OSStatus;
    static kSecCodeInfoIdentifier: CFStringRef;
    static kSecCodeInfoTeamIdentifier: CFStringRef;
}

/// The code signature of process `pid`, if it is valid (the kernel's view of the running code
/// and the signature on disk) and satisfies [`REQUIREMENT`].
///
/// By pid, not by audit token: the socket gives an audit token (`LOCAL_PEERTOKEN`) for the
/// peer only, while the assistant is usually its parent or grandparent. A token would pin the
/// exact process; a pid reused since the chain was walked lends us the newcomer's signature.
pub(crate) fn signature(pid: u32) -> Option<CodeSignature> {
    let mut guest = GuestAttributes::new();
    guest.set_pid(libc::pid_t::try_from(pid).ok()?);
    let code = SecCode::copy_guest_with_attribues(None, &guest, Flags::NONE).ok()?;
    let requirement: SecRequirement = REQUIREMENT.parse().ok()?;
    code.check_validity(Flags::NONE, &requirement).ok()?;
    let mut info: CFDictionaryRef = std::ptr::null();
    // SAFETY: `code` is a live SecCode, which Apple documents as accepted where a
    // SecStaticCode is asked for; `info` is a live local the call writes a dictionary into.
    #[allow(unsafe_code)]
    let status = unsafe {
        SecCodeCopySigningInformation(code.as_CFTypeRef(), SIGNING_INFORMATION, &raw mut info)
    };
    if status != 0 || info.is_null() {
        return None;
    }
    // SAFETY: on success `info` is a CFDictionary we own (copy rule), released by the wrapper.
    // The keys are immutable CFString constants that live as long as the process.
    #[allow(unsafe_code)]
    let (info, identifier, team) = unsafe {
        (
            CFDictionary::<CFString, CFType>::wrap_under_create_rule(info),
            CFString::wrap_under_get_rule(kSecCodeInfoIdentifier),
            CFString::wrap_under_get_rule(kSecCodeInfoTeamIdentifier),
        )
    };
    let text = |key: &CFString| {
        info.find(key)
            .and_then(|value| value.downcast::<CFString>())
            .map(|value| value.to_string())
    };
    Some(CodeSignature {
        identifier: text(&identifier),
        team_id: text(&team),
    })
}

/// A fixed-size, NUL-padded name from the kernel.
fn c_string(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
