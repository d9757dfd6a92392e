//! Adapter discovery: one entry per physical adapter, software adapters
//! flagged, devices opened with the adapter's real limits.

use serde::Serialize;

/// The limits that matter to the dispatch plan and the shader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitsSummary {
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest storage buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Most workgroups per dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Most invocations per workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup memory, bytes.
    pub max_compute_workgroup_storage_size: u32,
}

impl LimitsSummary {
    /// The summary of wgpu limits.
    pub fn from_limits(l: &wgpu::Limits) -> LimitsSummary {
        LimitsSummary {
            max_buffer_size: l.max_buffer_size,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        }
    }
}

/// What is known about one physical adapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterInfo {
    /// Adapter name, e.g. `NVIDIA GeForce RTX 4090` or `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// The wgpu backend used (`vulkan`, `metal`, `dx12`, `gl`), the primary
    /// one where the adapter is listed by several.
    pub backend: String,
    /// `discrete`, `integrated`, `virtual`, `cpu` or `other`.
    pub device_type: String,
    /// Driver name.
    pub driver: String,
    /// Driver version and details.
    pub driver_info: String,
    /// A software rasteriser (lavapipe/llvmpipe, SwiftShader, WARP).
    pub software: bool,
    /// The limits summary.
    pub limits: LimitsSummary,
    /// Whether GPU time can be measured with timestamp queries.
    pub timestamp_queries: bool,
}

/// Whether an adapter is a software one.
pub fn is_software(info: &wgpu::AdapterInfo) -> bool {
    is_software_named(&info.name, info.device_type)
}

/// Whether an adapter with this name and type is a software one: type
/// `Cpu`, or a known software rasteriser's name.
pub fn is_software_named(name: &str, device_type: wgpu::DeviceType) -> bool {
    if device_type == wgpu::DeviceType::Cpu {
        return true;
    }
    let name = name.to_ascii_lowercase();
    [
        "llvmpipe",
        "lavapipe",
        "swiftshader",
        "softpipe",
        "microsoft basic render",
        "warp",
    ]
    .iter()
    .any(|s| name.contains(s))
}

fn backend_name(b: wgpu::Backend) -> &'static str {
    match b {
        wgpu::Backend::Vulkan => "vulkan",
        wgpu::Backend::Metal => "metal",
        wgpu::Backend::Dx12 => "dx12",
        wgpu::Backend::Gl => "gl",
        wgpu::Backend::BrowserWebGpu => "webgpu",
        _ => "other",
    }
}

/// Preference among backends listing the same adapter (lower is better).
fn backend_rank(b: wgpu::Backend) -> u8 {
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        wgpu::Backend::Gl => 1,
        _ => 2,
    }
}

fn device_type_name(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// Our summary of a wgpu adapter.
pub fn describe(adapter: &wgpu::Adapter) -> AdapterInfo {
    let info = adapter.get_info();
    AdapterInfo {
        name: info.name.clone(),
        backend: backend_name(info.backend).into(),
        device_type: device_type_name(info.device_type).into(),
        driver: info.driver.clone(),
        driver_info: info.driver_info.clone(),
        software: is_software(&info),
        limits: LimitsSummary::from_limits(&adapter.limits()),
        timestamp_queries: adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY),
    }
}

/// A wgpu instance for `backends` (the other wgpu environment variables,
/// such as `WGPU_DX12_COMPILER`, are honoured).
pub fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Every adapter, one per physical device (see [`enumerate`]). The backends
/// are those of `WGPU_BACKEND` when it is set; otherwise the primary ones
/// (Vulkan, Metal, DX12), and GL only when those find no adapter (probing
/// GL is slow and prints EGL warnings on headless machines).
pub fn discover() -> Vec<wgpu::Adapter> {
    if let Some(backends) = wgpu::Backends::from_env() {
        return enumerate(&instance(backends));
    }
    let primary = enumerate(&instance(wgpu::Backends::PRIMARY));
    if !primary.is_empty() {
        return primary;
    }
    enumerate(&instance(wgpu::Backends::SECONDARY))
}

/// What identifies the physical adapter behind a wgpu adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicalKey {
    /// PCI vendor id (0 when the backend does not say).
    pub vendor: u32,
    /// PCI device id (0 when the backend does not say).
    pub device: u32,
    /// Lower-case name.
    pub name: String,
    /// PCI bus id (empty when the backend does not say).
    pub bus: String,
}

impl PhysicalKey {
    /// The key of a wgpu adapter.
    pub fn of(info: &wgpu::AdapterInfo) -> PhysicalKey {
        PhysicalKey {
            vendor: info.vendor,
            device: info.device,
            name: info.name.trim().to_lowercase(),
            bus: info.device_pci_bus_id.trim().to_lowercase(),
        }
    }

    /// Whether two backends' adapters are the same physical device: the
    /// same PCI bus id where both have one; else the same nonzero vendor and
    /// device ids; else one name is a prefix of the other (GL names carry
    /// suffixes such as `/PCIe/SSE2`).
    pub fn same_physical(&self, other: &PhysicalKey) -> bool {
        if !self.bus.is_empty() && !other.bus.is_empty() {
            return self.bus == other.bus;
        }
        if self.vendor != 0 && self.device != 0 && other.vendor != 0 && other.device != 0 {
            return self.vendor == other.vendor && self.device == other.device;
        }
        !self.name.is_empty()
            && !other.name.is_empty()
            && (self.name.starts_with(&other.name) || other.name.starts_with(&self.name))
    }
}

/// Every adapter, one per physical device: an adapter listed by several
/// backends keeps its primary one (Vulkan, Metal, DX12 before GL). Adapters
/// with compute unsupported (downlevel GL without compute shaders) are left
/// out.
pub fn enumerate(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let mut best: Vec<wgpu::Adapter> = Vec::new();
    for a in adapters {
        if a.get_info().backend == wgpu::Backend::Noop {
            continue;
        }
        let caps = a.get_downlevel_capabilities();
        if !caps.flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS) {
            continue;
        }
        let info = a.get_info();
        let key = PhysicalKey::of(&info);
        match best
            .iter_mut()
            .find(|b| PhysicalKey::of(&b.get_info()).same_physical(&key))
        {
            Some(b) => {
                if backend_rank(info.backend) < backend_rank(b.get_info().backend) {
                    *b = a;
                }
            }
            None => best.push(a),
        }
    }
    // Real GPUs first (discrete, then integrated, ...), software last.
    best.sort_by_key(|a| {
        let info = a.get_info();
        let t = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 3,
            wgpu::DeviceType::Cpu => 4,
        };
        (is_software(&info), t)
    });
    best
}

/// Whether an adapter name matches a `GRIDSCORE_ADAPTER` filter
/// (case-insensitive substring; an empty filter matches everything).
pub fn name_matches(name: &str, filter: &str) -> bool {
    name.to_lowercase().contains(&filter.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert!(name_matches("NVIDIA GeForce RTX 4090", "rtx"));
        assert!(name_matches("llvmpipe (LLVM 15.0.6, 256 bits)", "LLVMpipe"));
        assert!(!name_matches("llvmpipe", "nvidia"));
        assert!(name_matches("anything", ""));
    }

    #[test]
    fn same_physical_adapter() {
        let key = |vendor, device, name: &str, bus: &str| PhysicalKey {
            vendor,
            device,
            name: name.into(),
            bus: bus.into(),
        };
        let vk = key(0x10de, 0x2684, "nvidia geforce rtx 4090", "0000:01:00.0");
        let vk2 = key(0x10de, 0x2684, "nvidia geforce rtx 4090", "0000:02:00.0");
        let gl = key(0x10de, 0x2684, "nvidia geforce rtx 4090/pcie/sse2", "");
        let gl_no_ids = key(0, 0, "nvidia geforce rtx 4090/pcie/sse2", "");
        assert!(vk.same_physical(&gl));
        assert!(vk.same_physical(&gl_no_ids));
        // Two cards of one model are two adapters.
        assert!(!vk.same_physical(&vk2));
        let lavapipe = key(0x10005, 0, "llvmpipe (llvm 15.0.6, 256 bits)", "");
        let gl_llvmpipe = key(0, 0, "llvmpipe (llvm 15.0.6, 256 bits)", "");
        assert!(lavapipe.same_physical(&gl_llvmpipe));
        assert!(!lavapipe.same_physical(&vk));
    }

    #[test]
    fn software_names() {
        use wgpu::DeviceType as T;
        assert!(is_software_named(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            T::Cpu
        ));
        assert!(is_software_named(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            T::Other
        ));
        assert!(is_software_named("Microsoft Basic Render Driver", T::Other));
        assert!(is_software_named("SwiftShader Device", T::Other));
        assert!(!is_software_named("AMD Radeon RX 7900", T::DiscreteGpu));
        assert!(is_software_named("AMD Radeon RX 7900", T::Cpu));
    }
}
