//! Which devices a run uses: the `--device` list (`auto`, `cpu`, `gpu`,
//! `all`, or a comma list), opening them, and the device report of
//! `gridscore devices --json`. Shared by the CLI and the Python module.

use super::HostInfo;
use crate::engine::{Backend, CpuBackend};
use crate::gpu::GpuError;
use std::str::FromStr;
use std::sync::Arc;

/// A device list such as `auto`, `cpu`, `gpu`, `all` or `cpu,gpu`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    /// The CPU is used.
    pub cpu: bool,
    /// GPUs are used (none found is an error unless the CPU is also listed).
    pub gpu: bool,
    /// Software adapters (lavapipe, WARP) count as GPUs.
    pub software_gpus: bool,
    /// Real GPUs when there are any, else the CPU.
    pub auto: bool,
}

impl Default for DeviceSpec {
    fn default() -> Self {
        DeviceSpec {
            cpu: false,
            gpu: false,
            software_gpus: false,
            auto: true,
        }
    }
}

/// A device list that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown device `{}` (expected auto, cpu, gpu, all, or a comma list such as cpu,gpu)", crate::text::quote(.0))]
pub struct UnknownDevice(pub String);

/// Why devices could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// GPUs were asked for and none could be opened.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// The CPU worker threads could not be started.
    #[error(transparent)]
    Cpu(#[from] crate::engine::EngineError),
}

impl FromStr for DeviceSpec {
    type Err = UnknownDevice;
    fn from_str(s: &str) -> Result<DeviceSpec, UnknownDevice> {
        let mut d = DeviceSpec {
            auto: false,
            ..DeviceSpec::default()
        };
        for part in s.split(',').map(str::trim) {
            match part {
                "auto" => d.auto = true,
                "cpu" => d.cpu = true,
                "gpu" => {
                    d.gpu = true;
                    d.software_gpus = true;
                }
                "all" => {
                    d.cpu = true;
                    d.gpu = true;
                }
                other => return Err(UnknownDevice(other.to_string())),
            }
        }
        Ok(d)
    }
}

/// Opened devices.
pub struct OpenedDevices {
    /// In scheduler order: the GPUs, then the CPU.
    pub devices: Vec<Arc<dyn Backend>>,
    /// Why `auto` fell back to the CPU (no GPU, or none could be opened).
    pub fallback: Option<GpuError>,
}

/// Opens the devices of a spec: `auto` is the real GPUs, or the CPU when
/// there is none; `gpu` every adapter, software ones included (none is an
/// error); `all` every real GPU and the CPU; `cpu,gpu` the CPU and every
/// adapter. `GRIDSCORE_ADAPTER` narrows the adapters by name. `threads`
/// sizes the CPU pool (0: see [`cpu_threads`]).
pub fn open_devices(spec: &DeviceSpec, threads: usize) -> Result<OpenedDevices, OpenError> {
    let mut devices: Vec<Arc<dyn Backend>> = Vec::new();
    let mut fallback = None;
    if spec.gpu || spec.auto {
        match crate::gpu::open_gpus(spec.software_gpus) {
            Ok(gpus) => devices.extend(gpus.into_iter().map(|g| Arc::new(g) as Arc<dyn Backend>)),
            Err(e) if spec.gpu => return Err(e.into()),
            Err(e) => fallback = Some(e),
        }
        if spec.gpu && !spec.cpu && devices.is_empty() {
            return Err(GpuError::NoAdapter.into());
        }
    }
    if spec.cpu || devices.is_empty() {
        devices.push(Arc::new(CpuBackend::try_new(cpu_threads(threads))?));
    }
    Ok(OpenedDevices { devices, fallback })
}

/// `threads`, or the planner's choice (physical cores, cgroup quota,
/// affinity) when 0.
pub fn cpu_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        HostInfo::detect().cpu_threads().0
    }
}

/// The CPU (threads and what bounds them, the host) and every GPU adapter,
/// as `gridscore devices --json` prints them.
pub fn devices_json() -> serde_json::Value {
    let adapters = crate::gpu::list_adapters();
    let host = HostInfo::detect();
    let (threads, why) = host.cpu_threads();
    serde_json::json!({
        "cpu": {"threads": threads, "bound_by": why, "host": host},
        "adapters": adapters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_lists() {
        let d: DeviceSpec = "cpu,gpu".parse().unwrap();
        assert!(d.cpu && d.gpu && d.software_gpus && !d.auto);
        let d: DeviceSpec = "all".parse().unwrap();
        assert!(d.cpu && d.gpu && !d.software_gpus);
        assert_eq!("auto".parse::<DeviceSpec>().unwrap(), DeviceSpec::default());
        let e = "cpu,tpu".parse::<DeviceSpec>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown device `tpu` (expected auto, cpu, gpu, all, or a comma list such as cpu,gpu)"
        );
    }

    #[test]
    fn cpu_opens_one_cpu_backend() {
        let o = open_devices(&"cpu".parse().unwrap(), 1).unwrap();
        assert_eq!(o.devices.len(), 1);
        assert_eq!(o.devices[0].kind(), "cpu");
        assert!(o.fallback.is_none());
    }
}
