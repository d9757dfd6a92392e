//! Every `shaders/*.wgsl` parses and validates with naga (no GPU needed).

use std::path::Path;

fn validate(path: &Path) -> Result<(), String> {
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
        naga::valid::Capabilities::all(),
    );
    validator.validate(&module).map_err(|e| {
        format!(
            "{}: validation error:\n{}",
            path.display(),
            e.emit_to_string(&src)
        )
    })?;
    if module.entry_points.is_empty() {
        return Err(format!("{}: no entry point", path.display()));
    }
    Ok(())
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
