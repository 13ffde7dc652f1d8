//! Draws the scene's regions ([`crate::regions`]): a neutral tint with a
//! thin edge behind each region's nodes, its label outside the cluster, and
//! the latency legend in the canvas's lower left corner.

use web_sys::CanvasRenderingContext2d;

use crate::regions::padding;
use crate::scene::Scene;

/// The colours, read from the theme's CSS variables when the theme
/// changes, not every frame.
pub struct RegionStyle {
    fill: String,
    edge: String,
    text: String,
}

impl RegionStyle {
    pub fn read() -> RegionStyle {
        let styles = crate::web::palette::Styles::read();
        let get = |name: &str, fallback: &str| styles.get(name, fallback);
        RegionStyle {
            fill: get("--surface-2", "#eef1f5"),
            edge: get("--faint", "#c9d0d9"),
            text: get("--muted", "#5b6673"),
        }
    }
}

/// Each region as a rounded blob: its hull stroked with a wide round pen
/// (one pass a little wider in the edge colour), then filled.
pub fn draw(ctx: &CanvasRenderingContext2d, scene: &Scene, style: &RegionStyle) {
    if scene.regions.is_empty() {
        return;
    }
    let pad = padding(scene.radius);
    for (pass, width, colour) in [
        (0, 2.0 * pad + 2.0, &style.edge),
        (1, 2.0 * pad, &style.fill),
    ] {
        for tint in &scene.regions {
            let Some(first) = tint.points.first() else {
                continue;
            };
            ctx.begin_path();
            ctx.move_to(first.x, first.y);
            for p in &tint.points[1..] {
                ctx.line_to(p.x, p.y);
            }
            if tint.points.len() == 1 {
                // A zero-length segment with round caps is a dot.
                ctx.line_to(first.x + 0.01, first.y);
            }
            ctx.close_path();
            ctx.set_stroke_style_str(colour);
            ctx.set_line_width(width);
            ctx.stroke();
            if pass == 1 {
                ctx.set_fill_style_str(colour);
                ctx.fill();
            }
        }
    }
    ctx.set_font("600 12px system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif");
    ctx.set_text_baseline("middle");
    ctx.set_text_align("center");
    ctx.set_fill_style_str(&style.text);
    for tint in &scene.regions {
        let half = crate::regions::LABEL_CHAR_WIDTH * tint.label.len() as f64 / 2.0;
        let x = tint
            .label_at
            .x
            .clamp(half + 4.0, (scene.width - half - 4.0).max(half + 4.0));
        let y = tint.label_at.y.clamp(12.0, (scene.height - 12.0).max(12.0));
        let _ = ctx.fill_text(&tint.label, x, y);
    }
    if let Some(legend) = &scene.region_legend {
        ctx.set_text_align("left");
        let _ = ctx.fill_text(legend, 12.0, scene.height - 14.0);
    }
}
