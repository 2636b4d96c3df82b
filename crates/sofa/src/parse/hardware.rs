//! Which hardware the feed knows: the `Models` section (model identifier -> OS majors), with
//! the per-major `SupportedModels` lists as a fallback for feeds without it, and the schema
//! 2026.04.11 `Devices` map (board id -> model identifier).

use std::collections::BTreeMap;

use super::lenient::Loose;
use super::normalize::label_major;
use super::raw::{RawDevice, RawModel, RawSupportedModel};
use crate::model::{DeviceInfo, ModelInfo};

/// The `Models` section, majors sorted newest first.
pub(super) fn models(raw: Vec<(String, RawModel)>) -> BTreeMap<String, ModelInfo> {
    let models = raw.into_iter().map(|(id, model)| {
        // Older entries may carry only labels ("Sequoia 15"); the label's last number is the major.
        let majors = if model.majors.is_empty() {
            model
                .supported_os
                .iter()
                .filter_map(|l| label_major(l))
                .collect()
        } else {
            model.majors
        };
        (id, model_info(model.marketing_name, majors))
    });
    models.collect()
}

/// Models derived from each major's `SupportedModels` groups: `(major, groups)` pairs.
pub(super) fn models_from_groups(
    groups: Vec<(u32, Vec<RawSupportedModel>)>,
) -> BTreeMap<String, ModelInfo> {
    let mut found: BTreeMap<String, (Option<String>, Vec<u32>)> = BTreeMap::new();
    for (major, group) in groups {
        for (id, name) in group.into_iter().flat_map(|g| g.identifiers) {
            let entry = found.entry(id).or_default();
            entry.0 = entry.0.take().or_else(|| Loose::into_string(name));
            entry.1.push(major);
        }
    }
    let models = found
        .into_iter()
        .map(|(id, (name, majors))| (id, model_info(name, majors)));
    models.collect()
}

fn model_info(marketing_name: Option<String>, mut majors: Vec<u32>) -> ModelInfo {
    majors.sort_unstable_by(|a, b| b.cmp(a));
    majors.dedup();
    ModelInfo {
        marketing_name,
        newest_major: majors.first().copied(),
        supported_majors: majors,
    }
}

/// The `Devices` map.
pub(super) fn devices(raw: Vec<(String, RawDevice)>) -> BTreeMap<String, DeviceInfo> {
    let devices = raw.into_iter().map(|(board, device)| {
        let info = DeviceInfo {
            model_identifier: device.device_id,
            marketing_name: device.marketing_name,
        };
        (board, info)
    });
    devices.collect()
}
