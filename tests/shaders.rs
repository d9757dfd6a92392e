//! The evaluation shader (the `shaders/*.wgsl` parts, assembled) parses and
//! validates with naga and translates to SPIR-V (Vulkan), MSL (Metal) and
//! HLSL (DX12); `shaders/generated.wgsl` is what the op table generates;
//! every op has its WGSL twin; no GPU needed.

use gridscore::gpu::variant::{Variant, FULL_OPS, LABEL_OPS};
use gridscore::gpu::{codegen, shader};
use gridscore::lang::OPS;
use std::path::Path;

/// The shader in every backend language wgpu uses for compute, with the
/// overrides' defaults and every workgroup size the backend uses, in every
/// build (`BUILD`, src/gpu/variant.rs).
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
    let runs = [None, Some(32.0), Some(64.0)]
        .into_iter()
        .flat_map(|wg| [None, Some(0.0), Some(1.0), Some(2.0)].map(|build| (wg, build)));
    for (wg, build) in runs {
        let mut constants = naga::back::PipelineConstants::default();
        if let Some(wg) = wg {
            constants.insert("WG".to_string(), wg);
        }
        if let Some(build) = build {
            constants.insert("BUILD".to_string(), build);
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

/// The assembled shader, parsed and validated (no optional capability).
fn parsed() -> (naga::Module, naga::valid::ModuleInfo) {
    let src = shader::source();
    let module = naga::front::wgsl::parse_str(&src).expect("parses");
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .expect("validates");
    (module, info)
}

/// The text of WGSL function `name` in `src`, from `fn name(` to its
/// closing brace at the start of a line.
fn fn_text<'a>(src: &'a str, name: &str) -> &'a str {
    let start = src
        .find(&format!("fn {name}("))
        .unwrap_or_else(|| panic!("no fn {name}"));
    let end = start + src[start..].find("\n}\n").expect("end of the function");
    &src[start..end]
}

/// The module with the overrides of `variant` applied, and its info.
fn processed(variant: Variant) -> (naga::Module, naga::valid::ModuleInfo) {
    let (module, info) = parsed();
    let mut constants = naga::back::PipelineConstants::default();
    constants.insert("BUILD".to_string(), variant.build() as f64);
    naga::back::pipeline_constants::process_overrides(&module, &info, None, &constants)
        .map(|(m, i)| (m.into_owned(), i.into_owned()))
        .expect("overrides")
}

/// Bytes of workgroup memory of a processed module.
fn workgroup_bytes(module: &naga::Module) -> u32 {
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    module
        .global_variables
        .iter()
        .filter(|(_, var)| var.space == naga::AddressSpace::WorkGroup)
        .map(|(_, var)| layouter[var.ty].size)
        .sum()
}

#[test]
fn eval_shader_uses_the_default_workgroup_memory_limit() {
    // The shader must fit the WebGPU default limit (16 KiB of workgroup
    // memory) so that any adapter can run it; the smaller builds drop the
    // canvas, and the light one the scratch arrays too.
    let full = workgroup_bytes(&processed(Variant::Full).0);
    let labels = workgroup_bytes(&processed(Variant::Labels).0);
    let light = workgroup_bytes(&processed(Variant::Light).0);
    assert!(full <= 16384, "{full} bytes of workgroup memory");
    // The canvas (225 words) becomes one word, then lab and cnt (900 each).
    assert_eq!(full - labels, 4 * (225 - 1), "full {full}, labels {labels}");
    // lab and cnt (900 words each) keep SCRATCH_LIGHT_WORDS (96) each.
    assert_eq!(
        labels - light,
        4 * 2 * (900 - 96),
        "labels {labels}, light {light}"
    );
    eprintln!("workgroup memory: full {full} bytes, labels {labels} bytes, light {light} bytes");
}

#[test]
fn light_ops_need_no_scratch() {
    // An op outside LABEL_OPS and FULL_OPS runs in the light build, where
    // `lab` and `cnt` shrink and the prelude does not run: its WGSL
    // function must not touch them, nor read what the prelude leaves
    // (`wg_pre`), nor the overlay's canvas.
    let (module, info) = parsed();
    let scratch: Vec<_> = module
        .global_variables
        .iter()
        .filter(|(_, g)| matches!(g.name.as_deref(), Some("lab" | "cnt" | "wg_pre" | "canvas")))
        .map(|(h, g)| (h, g.name.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        scratch.len(),
        4,
        "the scratch variables are named lab, cnt, wg_pre, canvas"
    );
    let mut light = 0;
    for spec in OPS.iter() {
        let (h, _) = module
            .functions
            .iter()
            .find(|(_, f)| f.name.as_deref() == Some(spec.wgsl_fn().as_str()))
            .unwrap_or_else(|| panic!("no {}", spec.wgsl_fn()));
        let used: Vec<&str> = scratch
            .iter()
            .filter(|(g, _)| !info[h][*g].is_empty())
            .map(|(_, n)| n.as_str())
            .collect();
        if Variant::of_op(spec.code) == Variant::Light {
            light += 1;
            assert!(
                used.is_empty(),
                "{} uses {used:?}: add it to LABEL_OPS or FULL_OPS (src/gpu/variant.rs)",
                spec.wgsl_fn()
            );
        }
    }
    assert!(light >= 30, "only {light} ops run in the light build");
    assert_eq!(LABEL_OPS.len() + FULL_OPS.len() + light, OPS.len());
}

#[test]
fn the_prelude_works_for_the_ops_of_its_builds() {
    // The light build skips the prelude: every op that `prelude_plan` names
    // is in LABEL_OPS or FULL_OPS. The stages that only the full build keeps
    // (the color and cell splits of `split_plan`, selection, values, repair)
    // serve ops of FULL_OPS only.
    let src = shader::source();
    let plan_text = fn_text(&src, "prelude_plan");
    // The stages the prelude gates to the full build: the plan bits and
    // fields named on its `BUILD == BUILD_FULL` lines, and the plan helpers
    // (`split_plan`) that return one of them.
    let mut full_only: Vec<String> = fn_text(&src, "prelude")
        .lines()
        .filter(|l| l.contains("BUILD == BUILD_FULL"))
        .flat_map(|l| {
            l.split(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                .filter(|w| w.starts_with("PRE_") && *w != "PRE_FIELD")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(full_only.len() >= 4, "gated stages: {full_only:?}");
    let split_text = fn_text(&src, "split_plan");
    if full_only.iter().any(|g| split_text.contains(g.as_str())) {
        full_only.push("split_plan".to_string());
    }
    let mut named = 0;
    for case in plan_text.split("case ").skip(1) {
        let (labels, plan) = case.split_once(':').expect("case labels");
        let needs_full = full_only.iter().any(|s| plan.contains(s.as_str()));
        for label in labels.split(',').map(str::trim) {
            let spec = OPS
                .iter()
                .find(|s| s.wgsl_const() == label)
                .unwrap_or_else(|| panic!("prelude_plan: unknown case `{label}`"));
            named += 1;
            let v = Variant::of_op(spec.code);
            assert!(
                v > Variant::Light,
                "prelude_plan works for {label}: add it to LABEL_OPS or FULL_OPS (src/gpu/variant.rs)"
            );
            assert!(
                !needs_full || v == Variant::Full,
                "{label} needs a stage of the full build only: add it to FULL_OPS (src/gpu/variant.rs)"
            );
        }
    }
    assert!(named >= 15, "prelude_plan names {named} ops");
}

#[test]
fn constant_indices_fit_every_build() {
    // Code that a build leaves out is dead there but still compiled: a
    // constant index into `lab` / `cnt` must be inside the light build's
    // arrays (a compiler may reject a constant index past the end), and no
    // op reads the overlay's canvas (one word below the full build).
    let (module, info) = processed(Variant::Light);
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    let global = |name: &str| {
        module
            .global_variables
            .iter()
            .find(|(_, g)| g.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let mut checked = 0;
    for name in ["lab", "cnt"] {
        let (h, var) = global(name);
        let words = layouter[var.ty].size / 4;
        let mut max = 0;
        for (_, f) in module.functions.iter() {
            for (_, e) in f.expressions.iter() {
                let index = match *e {
                    naga::Expression::AccessIndex { base, index } => Some((base, index)),
                    naga::Expression::Access { base, index } => match f.expressions[index] {
                        naga::Expression::Literal(naga::Literal::U32(v)) => Some((base, v)),
                        naga::Expression::Literal(naga::Literal::I32(v)) => Some((base, v as u32)),
                        naga::Expression::Constant(c) => {
                            match module.global_expressions[module.constants[c].init] {
                                naga::Expression::Literal(naga::Literal::U32(v)) => Some((base, v)),
                                _ => None,
                            }
                        }
                        _ => None,
                    },
                    _ => None,
                };
                if let Some((base, k)) = index {
                    if matches!(f.expressions[base], naga::Expression::GlobalVariable(g) if g == h)
                    {
                        max = max.max(k + 1);
                        checked += 1;
                    }
                }
            }
        }
        assert!(
            max <= words,
            "{name}[{}] in the light build's {words} words",
            max - 1
        );
    }
    assert!(checked >= 10, "only {checked} constant indices found");
    let (canvas, _) = global("canvas");
    for (h, f) in module.functions.iter() {
        assert!(
            info[h][canvas].is_empty(),
            "{} uses the overlay's canvas",
            f.name.as_deref().unwrap_or("?")
        );
    }
}
