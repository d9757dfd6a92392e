//! A self-contained SVG chart of throughput against batch size: log axes,
//! one line per device and grid size, labelled, readable in any browser.

use super::BenchReport;
use std::fmt::Write;

const W: f64 = 860.0;
const H: f64 = 520.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 250.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;
const COLORS: [&str; 8] = [
    "#0074d9", "#ff4136", "#2ecc40", "#ff851b", "#b10dc9", "#111111", "#39cccc", "#85144b",
];

fn decades(lo: f64, hi: f64) -> (i32, i32) {
    let a = lo.max(1e-12).log10().floor() as i32;
    let b = hi.max(lo * 10.0).log10().ceil() as i32;
    (a, b.max(a + 1))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A device name short enough for the legend.
fn short(name: &str) -> String {
    let name = name.split(" (LLVM").next().unwrap_or(name);
    if name.chars().count() <= 26 {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(25).collect::<String>())
    }
}

fn label(v: f64) -> String {
    let e = v.log10().round() as i32;
    match e {
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        3 => "1k".into(),
        4 => "10k".into(),
        5 => "100k".into(),
        6 => "1M".into(),
        7 => "10M".into(),
        8 => "100M".into(),
        9 => "1G".into(),
        10 => "10G".into(),
        _ => format!("1e{e}"),
    }
}

/// Renders the chart of evaluations/s against batch size.
pub fn chart(report: &BenchReport) -> String {
    let pts = &report.points;
    let (xmin, xmax) = pts.iter().fold((f64::MAX, 0.0f64), |(a, b), p| {
        (a.min(p.batch as f64), b.max(p.batch as f64))
    });
    let (ymin, ymax) = pts.iter().fold((f64::MAX, 0.0f64), |(a, b), p| {
        (a.min(p.evals_per_s), b.max(p.evals_per_s))
    });
    let (x0, x1) = decades(xmin.max(1.0), xmax.max(1.0));
    let (y0, y1) = decades(ymin.max(1e-3), ymax.max(1e-3));
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |v: f64| LEFT + (v.max(1e-12).log10() - x0 as f64) / (x1 - x0) as f64 * pw;
    let sy = |v: f64| TOP + ph - (v.max(1e-12).log10() - y0 as f64) / (y1 - y0) as f64 * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="28" font-size="16" text-anchor="middle">gridscore bench: evaluations/s against batch size ({} ops per program)</text>
"##,
        LEFT + pw / 2.0,
        report.config.ops
    );
    for e in x0..=x1 {
        let x = sx(10f64.powi(e));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 18.0,
            label(10f64.powi(e))
        );
    }
    for e in y0..=y1 {
        let y = sy(10f64.powi(e));
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 8.0,
            y + 4.0,
            label(10f64.powi(e))
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">batch size (programs, log scale)</text>
<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle">evaluations per second (log scale)</text>"##,
        LEFT + pw / 2.0,
        H - 22.0,
        TOP + ph / 2.0
    );
    let mut series: Vec<(String, usize)> = Vec::new();
    for p in pts {
        if !series.iter().any(|(d, g)| *d == p.device && *g == p.grid) {
            series.push((p.device.clone(), p.grid));
        }
    }
    for (k, (dev, grid)) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let dash = if grid % 2 == 0 {
            ""
        } else {
            r#" stroke-dasharray="6 3""#
        };
        let mut line: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.device == *dev && p.grid == *grid)
            .map(|p| (sx(p.batch as f64), sy(p.evals_per_s)))
            .collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = line.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
            path.join(" ")
        );
        for (x, y) in &line {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#
            );
        }
        let ly = TOP + 10.0 + 20.0 * k as f64;
        let lx = LEFT + pw + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/><text x="{}" y="{}">{} ({grid}x{grid})</text>"#,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0,
            esc(&short(dev))
        );
    }
    s.push_str("</svg>\n");
    s
}
