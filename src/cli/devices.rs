//! `gridscore devices`: the adapters wgpu finds (one per physical adapter)
//! and the CPU, with the limits that matter.

use super::{CliError, CliResult};
use gridscore::gpu::list_adapters;
use gridscore::sched::HostInfo;

#[derive(clap::Args)]
pub struct DevicesArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DevicesArgs) -> CliResult {
    if a.json {
        let v = gridscore::sched::devices::devices_json();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(CliError::failed)?
        );
        return Ok(());
    }
    let adapters = list_adapters();
    let host = HostInfo::detect();
    let (threads, why) = host.cpu_threads();
    println!(
        "cpu: {threads} threads (bound by {why}); {} physical cores, {} logical",
        host.physical_cores, host.logical_cpus
    );
    if adapters.is_empty() {
        println!("no GPU adapter found (install mesa-vulkan-drivers for lavapipe, a Vulkan software adapter)");
    }
    for d in &adapters {
        println!(
            "{} [{} / {}{}]: driver {} {}",
            d.name,
            d.backend,
            d.device_type,
            if d.software {
                ", software: used only with --device gpu"
            } else {
                ""
            },
            d.driver,
            d.driver_info
        );
        let l = &d.limits;
        println!(
            "  max buffer {} MiB, storage binding {} MiB, {} workgroups per dimension, {} invocations per workgroup, {} B workgroup memory, timestamp queries: {}",
            l.max_buffer_size >> 20,
            l.max_storage_buffer_binding_size >> 20,
            l.max_compute_workgroups_per_dimension,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroup_storage_size,
            if d.timestamp_queries { "yes" } else { "no" }
        );
    }
    if let Ok(f) = std::env::var(gridscore::gpu::ADAPTER_ENV) {
        println!(
            "{}={f:?} selects adapters whose name contains it",
            gridscore::gpu::ADAPTER_ENV
        );
    }
    Ok(())
}
