//! The evaluation shader (the `shaders/*.wgsl` parts, assembled) parses and
//! validates with naga and translates to SPIR-V (Vulkan), MSL (Metal) and
//! HLSL (DX12); `shaders/generated.wgsl` is what the op table generates;
//! every op has its WGSL twin; no GPU needed.

use gridscore::gpu::{codegen, shader};
use gridscore::lang::OPS;
use std::path::Path;

/// The shader in every backend language wgpu uses for compute, with the
/// overrides' defaults and every workgroup size the backend uses.
fn validate(src: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(src)
        .map_err(|e| format!("parse error:\n{}", e.emit_to_string(src)))?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // No optional capability: the shader must run on any WebGPU device.
        naga::valid::Capabilities::empty(),
    );
    let info = validator
        .validate(&module)
        .map_err(|e| format!("validation error:\n{}", e.emit_to_string(src)))?;
    if module.entry_points.is_empty() {
        return Err("no entry point".into());
    }
    for wg in [None, Some(32.0), Some(64.0)] {
        let mut constants = naga::back::PipelineConstants::default();
        if let Some(wg) = wg {
            constants.insert("WG".to_string(), wg);
        }
        let (module, info) =
            naga::back::pipeline_constants::process_overrides(&module, &info, None, &constants)
                .map_err(|e| format!("overrides {constants:?}: {e}"))?;
        naga::back::spv::write_vec(&module, &info, &naga::back::spv::Options::default(), None)
            .map_err(|e| format!("SPIR-V: {e}"))?;
        naga::back::msl::write_string(
            &module,
            &info,
            &naga::back::msl::Options::default(),
            &naga::back::msl::PipelineOptions::default(),
        )
        .map_err(|e| format!("MSL: {e}"))?;
        let mut hlsl = String::new();
        let options = naga::back::hlsl::Options::default();
        let pipeline = naga::back::hlsl::PipelineOptions::default();
        naga::back::hlsl::Writer::new(&mut hlsl, &options, &pipeline)
            .write(&module, &info, None)
            .map_err(|e| format!("HLSL: {e}"))?;
    }
    Ok(())
}

#[test]
fn generated_wgsl_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/generated.wgsl");
    let want = codegen::generate();
    if std::env::var("GRIDSCORE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &want).expect("writing shaders/generated.wgsl");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "shaders/generated.wgsl is not what the op table generates: run `GRIDSCORE_BLESS=1 cargo test --test shaders`"
    );
}

#[test]
fn eval_shader_validates() {
    let src = shader::source();
    if let Err(e) = validate(&src) {
        panic!("{e}");
    }
}

#[test]
fn every_shader_file_is_assembled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for entry in std::fs::read_dir(&dir).expect("shaders/ exists") {
        let path = entry.expect("readable directory entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(
                shader::PARTS.iter().any(|(n, _)| *n == name),
                "shaders/{name} is not part of the shader (src/gpu/shader.rs)"
            );
        }
    }
}

#[test]
fn every_op_has_a_wgsl_twin() {
    // One `fn op_NAME(` per op, in a shader file of its own (not generated).
    let src: String = shader::PARTS
        .iter()
        .filter(|(n, _)| *n != "generated.wgsl")
        .map(|(_, t)| *t)
        .collect();
    for spec in OPS.iter() {
        let f = format!("fn {}(", spec.wgsl_fn());
        assert_eq!(
            src.matches(&f).count(),
            1,
            "op `{}` needs exactly one WGSL function `{}` in shaders/ops_*.wgsl",
            spec.name,
            spec.wgsl_fn()
        );
    }
}

#[test]
fn no_bare_op_numbers_in_the_shader() {
    // Op codes come from the generated constants only.
    for (name, text) in shader::PARTS {
        if *name == "generated.wgsl" {
            continue;
        }
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("case ") {
                let labels = l
                    .trim_start_matches("case ")
                    .split(':')
                    .next()
                    .unwrap_or("");
                assert!(
                    !labels.chars().next().is_some_and(|c| c.is_ascii_digit()),
                    "{name}: bare number in `{l}`"
                );
            }
        }
    }
}

#[test]
fn eval_shader_uses_the_default_workgroup_memory_limit() {
    // The shader must fit the WebGPU default limit (16 KiB of workgroup
    // memory) so that any adapter can run it.
    let src = shader::source();
    let module = naga::front::wgsl::parse_str(&src).expect("parses");
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
    eprintln!("workgroup memory: {bytes} bytes");
}
