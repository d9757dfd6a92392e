//! Every `shaders/*.wgsl` parses and validates with naga, and translates to
//! SPIR-V (Vulkan), MSL (Metal) and HLSL (DX12); no GPU needed.

use std::path::Path;

fn validate(path: &Path) -> Result<(), String> {
    let (_src, module, info) = parse_and_validate(path)?;
    // With the overrides' defaults, and with every workgroup size the
    // backend uses for eval.wgsl's `WG`.
    for wg in [None, Some(32.0), Some(64.0)] {
        let mut constants = naga::back::PipelineConstants::default();
        if let Some(wg) = wg {
            if module
                .overrides
                .iter()
                .any(|(_, o)| o.name.as_deref() == Some("WG"))
            {
                constants.insert("WG".to_string(), wg);
            }
        }
        let (module, info) =
            naga::back::pipeline_constants::process_overrides(&module, &info, None, &constants)
                .map_err(|e| format!("{}: overrides {constants:?}: {e}", path.display()))?;
        translate(path, &module, &info)?;
    }
    Ok(())
}

/// The shader in every backend language wgpu uses for compute.
fn translate(
    path: &Path,
    module: &naga::Module,
    info: &naga::valid::ModuleInfo,
) -> Result<(), String> {
    let name = path.display();
    naga::back::spv::write_vec(module, info, &naga::back::spv::Options::default(), None)
        .map_err(|e| format!("{name}: SPIR-V: {e}"))?;
    naga::back::msl::write_string(
        module,
        info,
        &naga::back::msl::Options::default(),
        &naga::back::msl::PipelineOptions::default(),
    )
    .map_err(|e| format!("{name}: MSL: {e}"))?;
    let mut hlsl = String::new();
    let options = naga::back::hlsl::Options::default();
    let pipeline = naga::back::hlsl::PipelineOptions::default();
    naga::back::hlsl::Writer::new(&mut hlsl, &options, &pipeline)
        .write(module, info, None)
        .map_err(|e| format!("{name}: HLSL: {e}"))?;
    Ok(())
}

type Parsed = (String, naga::Module, naga::valid::ModuleInfo);

fn parse_and_validate(path: &Path) -> Result<Parsed, String> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let module = naga::front::wgsl::parse_str(&src).map_err(|e| {
        format!(
            "{}: parse error:\n{}",
            path.display(),
            e.emit_to_string(&src)
        )
    })?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // No optional capability: the shader must run on any WebGPU device.
        naga::valid::Capabilities::empty(),
    );
    let info = validator.validate(&module).map_err(|e| {
        format!(
            "{}: validation error:\n{}",
            path.display(),
            e.emit_to_string(&src)
        )
    })?;
    if module.entry_points.is_empty() {
        return Err(format!("{}: no entry point", path.display()));
    }
    Ok((src, module, info))
}

#[test]
fn every_shader_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut n = 0;
    let mut errors = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("shaders/ exists") {
        let path = entry.expect("readable directory entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            n += 1;
            if let Err(e) = validate(&path) {
                errors.push(e);
            }
        }
    }
    assert!(n > 0, "no shaders found in {}", dir.display());
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

#[test]
fn eval_shader_uses_the_default_workgroup_memory_limit() {
    // The shader must fit the WebGPU default limit (16 KiB of workgroup
    // memory) so that any adapter can run it.
    let src = include_str!("../shaders/eval.wgsl");
    let module = naga::front::wgsl::parse_str(src).expect("parses");
    let mut bytes = 0u32;
    let layouter = {
        let mut l = naga::proc::Layouter::default();
        l.update(module.to_ctx()).expect("layout");
        l
    };
    for (_, var) in module.global_variables.iter() {
        if var.space == naga::AddressSpace::WorkGroup {
            bytes += layouter[var.ty].size;
        }
    }
    assert!(bytes <= 16384, "{bytes} bytes of workgroup memory");
}
