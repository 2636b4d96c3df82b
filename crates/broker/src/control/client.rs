//! The CLI's end of the control socket.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use zeroize::Zeroizing;

use super::{ControlError, ControlRequest, ControlResponse};

/// A connection to the running broker's control socket.
#[derive(Debug)]
pub struct ControlClient {
    reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
    broker_pid: Option<u32>,
}

impl ControlClient {
    /// Connects to the broker at `socket`, explaining what to do when none runs.
    pub async fn connect(socket: &Path) -> Result<Self, ControlError> {
        let stream = UnixStream::connect(socket).await.map_err(|e| {
            ControlError::new(format!(
                "no Latchkey broker answers at {} ({e}): start the Latchkey app or `latchkey serve`",
                socket.display()
            ))
        })?;
        let broker_pid = stream
            .peer_cred()
            .ok()
            .and_then(|cred| cred.pid())
            .and_then(|pid| u32::try_from(pid).ok());
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: BufReader::new(read),
            writer,
            broker_pid,
        })
    }

    /// The broker's pid, as the kernel reports the peer of this connection.
    pub fn broker_pid(&self) -> Option<u32> {
        self.broker_pid
    }

    /// Sends `request` and decodes the answer as `T`.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        request: &ControlRequest,
    ) -> Result<T, ControlError> {
        let lost = |e: std::io::Error| ControlError::new(format!("lost the broker: {e}"));
        let mut bytes = Zeroizing::new(
            serde_json::to_vec(request).map_err(|e| ControlError::new(e.to_string()))?,
        );
        bytes.push(b'\n');
        let written = self.writer.write_all(&bytes).await;
        // A broker that turned the connection away (too many) said why before closing it:
        // its answer is read even when the request could not be written.
        let mut line = String::new();
        match (self.reader.read_line(&mut line).await, written) {
            (Ok(n), _) if n > 0 => {}
            (_, Err(e)) | (Err(e), Ok(())) => return Err(lost(e)),
            (Ok(_), Ok(())) => {
                return Err(ControlError::new("the broker closed the connection"));
            }
        }
        match serde_json::from_str(&line)
            .map_err(|e| ControlError::new(format!("unexpected answer from the broker: {e}")))?
        {
            ControlResponse::Ok(value) => serde_json::from_value(value)
                .map_err(|e| ControlError::new(format!("unexpected answer from the broker: {e}"))),
            ControlResponse::Error(e) => Err(e),
        }
    }
}
