//! `latchkey mcp`: what an assistant launches. Copies its stdin to the broker's MCP socket
//! and the broker's answers to its stdout, byte for byte; it parses nothing.

use std::io::{self, Write};
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
        let _ = io::copy(&mut io::stdin().lock(), &mut to_broker);
        done.store(true, Ordering::SeqCst);
        // Tell the broker the client is gone; it then closes the session and our read ends.
        let _ = to_broker.shutdown(Shutdown::Write);
    });

    let mut stdout = io::stdout().lock();
    let copied = io::copy(&mut from_broker, &mut stdout);
    stdout.flush().context("write to stdout")?;
    copied.context("read from the broker")?;
    if !client_done.load(Ordering::SeqCst) {
        bail!("the Latchkey broker closed the connection");
    }
    Ok(ExitCode::SUCCESS)
}
