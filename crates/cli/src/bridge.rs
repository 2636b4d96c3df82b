//! `latchkey mcp`: what an assistant launches. Copies its stdin to the broker's MCP socket
//! and the broker's answers to its stdout, byte for byte; it parses nothing, except, when the
//! broker hangs up, its last answer: a refusal is said on stderr too, for the person.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use latchkey_broker::StatePaths;

pub fn run(paths: &StatePaths) -> anyhow::Result<ExitCode> {
    let socket = paths.mcp_socket();
    let stream = match UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(e) => bail!(
            "no Latchkey broker is running ({}: {e}); open the Latchkey app or run `latchkey serve`",
            socket.display()
        ),
    };
    let mut to_broker = stream.try_clone().context("duplicate the socket")?;
    let mut from_broker = stream;

    // Plain threads, not async: two blocking copies are the lowest-latency bridge there is.
    let client_done = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&client_done);
    std::thread::spawn(move || {
        let _ = pump(&mut io::stdin().lock(), &mut to_broker);
        done.store(true, Ordering::SeqCst);
        // Tell the broker the client is gone; it then closes the session and our read ends.
        let _ = to_broker.shutdown(Shutdown::Write);
    });

    let mut stdout = io::stdout().lock();
    let last =
        pump(&mut from_broker, &mut stdout).context("relay the broker's answers to stdout")?;
    if let Some(refused) = refusal(&last) {
        bail!("{refused}");
    }
    if !client_done.load(Ordering::SeqCst) {
        bail!("the Latchkey broker closed the connection");
    }
    Ok(ExitCode::SUCCESS)
}

/// The broker's refusal of this assistant, when `last` (its last chunk) is one.
fn refusal(last: &[u8]) -> Option<String> {
    let line = last.split(|&b| b == b'\n').find(|l| !l.is_empty())?;
    let answer: serde_json::Value = serde_json::from_slice(line).ok()?;
    let error = answer.get("error")?;
    (error.get("code")? == latchkey_broker::REFUSED_CODE)
        .then(|| error.get("message")?.as_str().map(str::to_owned))
        .flatten()
}

/// Forwards each chunk as soon as it arrives, and returns the last one. (`io::copy`'s Linux
/// splice fast path stalled an interactive session between pipes and the socket; a plain
/// read/write loop cannot.)
fn pump(from: &mut impl Read, to: &mut impl Write) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut last = 0;
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                to.flush()?;
                buf.truncate(last);
                return Ok(buf);
            }
            Ok(n) => {
                to.write_all(&buf[..n])?;
                to.flush()?;
                last = n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
