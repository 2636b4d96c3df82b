//! Tool groups, one file each; each defines a named router that `LatchkeyServer` combines.

pub mod credentials;
pub mod jamf;
pub mod sofa;
pub mod status;
