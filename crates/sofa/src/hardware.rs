//! Model support: the newest OS major a Mac model can run, from the feed's `Models` section,
//! so a Mac held on an older major by its hardware is reported as such, not as neglected.

use schemars::JsonSchema;
use serde::Serialize;

use crate::IndexedFeed;

/// What the feed says one model identifier can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HardwareSupport {
    /// The model identifier asked about, e.g. "MacBookPro15,2".
    pub model: String,
    /// Whether the feed's `Models` section lists this identifier.
    pub known_model: bool,
    /// Marketing name, e.g. "MacBook Pro (13-inch, 2018, Four Thunderbolt 3 ports)".
    pub marketing_name: Option<String>,
    /// OS majors the hardware supports, newest first.
    pub supported_majors: Vec<u32>,
    /// The newest OS major this hardware can run.
    pub hardware_max_major: Option<u32>,
    /// The newest OS major in the feed.
    pub newest_feed_major: Option<u32>,
    /// True when the hardware supports a newer major than the one the device runs; absent when
    /// the model or the running major is unknown.
    pub upgrade_available_by_hardware: Option<bool>,
    /// True when the hardware cannot run the feed's newest major; absent for unknown models.
    pub limited_by_hardware: Option<bool>,
}

impl IndexedFeed {
    /// Model support for `model` on a device running `running_major` (if known).
    pub fn hardware_support(&self, model: &str, running_major: Option<u32>) -> HardwareSupport {
        let info = self.feed.models.get(model.trim());
        let max = self.hardware_max_major(model);
        let newest = self.newest_major();
        HardwareSupport {
            model: model.to_owned(),
            known_model: info.is_some(),
            marketing_name: info.and_then(|m| m.marketing_name.clone()),
            supported_majors: info.map(|m| m.supported_majors.clone()).unwrap_or_default(),
            hardware_max_major: max,
            newest_feed_major: newest,
            upgrade_available_by_hardware: max.zip(running_major).map(|(max, run)| max > run),
            limited_by_hardware: max.zip(newest).map(|(max, newest)| max < newest),
        }
    }

    /// The newest major `model` supports, without building a full report (fleet path).
    pub(crate) fn hardware_max_major(&self, model: &str) -> Option<u32> {
        self.feed.models.get(model.trim())?.newest_major
    }

    pub(crate) fn newest_major(&self) -> Option<u32> {
        self.index.majors.last().map(|m| m.major)
    }
}
