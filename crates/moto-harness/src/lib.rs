//! A real moto server for the AWS Secrets Manager tests: `moto_server` from PyPI's
//! `moto[server]` (pinned in `scripts/setup.sh --test`, installed in `.tools/moto`), run on
//! a free port of 127.0.0.1 under `latchkey-test-peer`'s watchdog (the same process shape
//! as OpenBao's), and set up with boto3 from the same venv, as an
//! administrator would: secrets (text and binary), IAM users with policies and access keys,
//! roles to assume.
//!
//! - A missing `moto_server` skips a test with a note, except under `CI=true`, where it fails
//!   the test ([`require`]).
//! - IAM is not enforced until [`Moto::enforce_iam`] (moto's `/moto-api/reset-auth` with a
//!   count of 0): from then on every request must be signed by a known access key whose
//!   policies allow it, or moto answers `AccessDeniedException`.
//! - Values written to the server travel on Python's stdin, never in its arguments.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use latchkey_test_peer::{Launch, Peer};
use serde_json::Value;

/// The account id moto answers with in ARNs.
pub const ACCOUNT: &str = "123456789012";

/// The region the harness's setup uses.
pub const REGION: &str = "us-east-1";

/// The moto venv: `$LATCHKEY_MOTO` when set, else the one `scripts/setup.sh --test` makes.
pub fn venv() -> PathBuf {
    match std::env::var_os("LATCHKEY_MOTO") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/moto"),
    }
}

/// `true` when `moto_server` is there. Otherwise, under `CI=true` a panic, else a note on
/// stderr and `false`, so the caller returns and `test` passes as skipped.
pub fn require(test: &str) -> bool {
    let server = venv().join("bin/moto_server");
    let missing = (!server.is_file()).then(|| {
        format!(
            "moto's `moto_server` at {} (run `scripts/setup.sh --test`)",
            server.display()
        )
    });
    latchkey_test_peer::require(test, &Vec::from_iter(missing))
}

/// An IAM user's access key.
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// `AKIA…`.
    pub id: String,
    /// The secret access key.
    pub secret: String,
}

/// One running `moto_server`, under a watchdog.
#[derive(Debug)]
pub struct Moto {
    peer: Peer,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Moto {
    /// Starts a server (in memory, every service, IAM not enforced) and waits until it
    /// answers.
    pub fn start() -> Moto {
        let launch = Launch {
            name: "moto",
            program: &venv().join("bin/moto_server"),
            port_taken: "address already in use",
            limit: Duration::from_secs(60),
        };
        let peer = Peer::start(
            launch,
            |command, addr, dir| {
                command
                    .args(["-H", "127.0.0.1", "-p"])
                    .arg(addr.port().to_string())
                    .env("HOME", dir);
            },
            |peer| answers(peer.addr),
        );
        Moto {
            addr: peer.addr,
            peer,
        }
    }

    /// `http://127.0.0.1:PORT`, the endpoint for every service.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        self.peer.log_text()
    }

    /// Runs `script` with boto3 in moto's venv, `stdin` on its standard input; what it prints
    /// as JSON. The script has `endpoint`, `region`, `boto3`, `json`, `sys` and a `client(name)`
    /// for moto with moto's default keys. Panics (with Python's stderr) when it fails.
    pub fn python(&self, script: &str, stdin: &str) -> Value {
        let prelude = "import boto3, json, sys\n\
            endpoint, region = sys.argv[1], sys.argv[2]\n\
            def client(name):\n    return boto3.client(name, endpoint_url=endpoint, region_name=region, aws_access_key_id='testing', aws_secret_access_key='testing')\n";
        let mut child = Command::new(venv().join("bin/python"))
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .args([self.endpoint().as_str(), REGION])
            .env("HOME", self.peer.dir())
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run moto's python");
        let mut input = child.stdin.take().expect("python's stdin");
        input
            .write_all(stdin.as_bytes())
            .expect("write python's stdin");
        drop(input);
        let output = child.wait_with_output().expect("python ran");
        assert!(
            output.status.success(),
            "boto3 setup failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the setup prints JSON")
    }

    /// A secret `name` whose SecretString is `value`; its ARN.
    pub fn create_secret(&self, name: &str, value: &str) -> String {
        let made = self.python(
            &format!(
                "r = client('secretsmanager').create_secret(Name={name:?}, SecretString=sys.stdin.read())\n\
                 print(json.dumps(r['ARN']))\n"
            ),
            value,
        );
        made.as_str().expect("an ARN").to_owned()
    }

    /// A secret `name` whose SecretBinary is `value`; its ARN.
    pub fn create_binary_secret(&self, name: &str, value: &[u8]) -> String {
        let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
        let made = self.python(
            &format!(
                "r = client('secretsmanager').create_secret(Name={name:?}, SecretBinary=bytes.fromhex(sys.stdin.read()))\n\
                 print(json.dumps(r['ARN']))\n"
            ),
            &hex,
        );
        made.as_str().expect("an ARN").to_owned()
    }

    /// An IAM user `name` with the inline policy `policy` (JSON) and a new access key.
    pub fn user(&self, name: &str, policy: &str) -> AccessKey {
        let key = self.python(
            &format!(
                "iam = client('iam')\n\
                 iam.create_user(UserName={name:?})\n\
                 iam.put_user_policy(UserName={name:?}, PolicyName='p', PolicyDocument=sys.stdin.read())\n\
                 k = iam.create_access_key(UserName={name:?})['AccessKey']\n\
                 print(json.dumps([k['AccessKeyId'], k['SecretAccessKey']]))\n"
            ),
            policy,
        );
        AccessKey {
            id: key[0].as_str().expect("key id").to_owned(),
            secret: key[1].as_str().expect("secret key").to_owned(),
        }
    }

    /// An IAM role `name` the IAM users `trusted` may assume, with the inline policy
    /// `policy`; its ARN.
    pub fn role(&self, name: &str, trusted: &[&str], policy: &str) -> String {
        let principals: Vec<String> = (trusted.iter())
            .map(|user| format!("arn:aws:iam::{ACCOUNT}:user/{user}"))
            .collect();
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": principals}}]
        });
        let made = self.python(
            &format!(
                "iam = client('iam')\n\
                 r = iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument={trust:?})\n\
                 iam.put_role_policy(RoleName={name:?}, PolicyName='p', PolicyDocument=sys.stdin.read())\n\
                 print(json.dumps(r['Role']['Arn']))\n",
                trust = trust.to_string()
            ),
            policy,
        );
        made.as_str().expect("a role ARN").to_owned()
    }

    /// From now on, every request must be signed by a known access key whose policies allow
    /// it (moto's `/moto-api/reset-auth`, count 0).
    pub fn enforce_iam(&self) {
        let answer = http(self.addr, "POST", "/moto-api/reset-auth", "0");
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
            "reset-auth answered {answer}"
        );
    }
}

/// Whether something answers HTTP at `addr`.
fn answers(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
        && http(addr, "GET", "/moto-api/", "").starts_with("HTTP/")
}

/// One plain HTTP/1.0 request; the whole answer as text (empty when it failed).
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> String {
    let attempt = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    attempt().unwrap_or_default()
}
