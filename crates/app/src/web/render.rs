//! Draws a [`Scene`] on the canvas, and nothing else: no decisions, no
//! state beyond the canvas, its size and its colours.
//!
//! Every canvas call crosses from wasm into JS, so the drawing is batched:
//! all links in one path, all messages of one kind in one path, one fill
//! each. Colours are read once from the page's CSS custom properties and
//! kept as `JsValue`s, so no colour string is converted per frame.

use std::cell::Cell;
use std::f64::consts::{FRAC_PI_2, TAU};
use std::rc::Rc;

use splitbrain_core::protocol::RoleKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, ImageData, ResizeObserver, ResizeObserverEntry,
};

use super::dom;
use crate::geometry::Vec2;
use crate::scene::{NodeGlyph, Scene};

#[wasm_bindgen]
extern "C" {
    /// The same JS object as [`CanvasRenderingContext2d`], seen through
    /// setters that take a `JsValue`: web-sys only offers the `&str`
    /// setters (which convert the string on every call) un-deprecated.
    #[wasm_bindgen(js_name = CanvasRenderingContext2D)]
    type StyleSetters;
    #[wasm_bindgen(method, setter = fillStyle)]
    fn set_fill_style(this: &StyleSetters, value: &JsValue);
    #[wasm_bindgen(method, setter = strokeStyle)]
    fn set_stroke_style(this: &StyleSetters, value: &JsValue);
    /// fillText with a string already in JS, so cached labels are not
    /// converted from UTF-8 on every frame.
    #[wasm_bindgen(method, js_name = fillText)]
    fn fill_js_text(this: &StyleSetters, text: &JsValue, x: f64, y: f64);
}

/// Cached colours as fill and stroke styles, cached strings as text.
trait CachedValues {
    fn set_fill(&self, value: &JsValue);
    fn set_stroke(&self, value: &JsValue);
    fn fill_cached_text(&self, text: &JsValue, x: f64, y: f64);
}

impl CachedValues for CanvasRenderingContext2d {
    fn set_fill(&self, value: &JsValue) {
        self.unchecked_ref::<StyleSetters>().set_fill_style(value);
    }
    fn set_stroke(&self, value: &JsValue) {
        self.unchecked_ref::<StyleSetters>().set_stroke_style(value);
    }
    fn fill_cached_text(&self, text: &JsValue, x: f64, y: f64) {
        self.unchecked_ref::<StyleSetters>()
            .fill_js_text(text, x, y);
    }
}

/// The page's colours, as the canvas wants them.
struct Palette {
    surface: JsValue,
    text: JsValue,
    muted: JsValue,
    faint: JsValue,
    accent: JsValue,
    accent_text: JsValue,
    ok: JsValue,
    bad: JsValue,
    warn: JsValue,
    follower: JsValue,
    candidate: JsValue,
    leader: JsValue,
    down: JsValue,
    log_committed: JsValue,
    msg: [JsValue; 8],
    group: [JsValue; 4],
    group_edge: [JsValue; 4],
}

impl Palette {
    fn read() -> Palette {
        let styles = crate::web::palette::Styles::read();
        let get = |name: &str| styles.colour(name);
        Palette {
            surface: get("--surface"),
            text: get("--text"),
            muted: get("--muted"),
            faint: get("--faint"),
            accent: get("--accent"),
            accent_text: get("--accent-text"),
            ok: get("--ok"),
            bad: get("--bad"),
            warn: get("--warn"),
            follower: get("--follower"),
            candidate: get("--candidate"),
            leader: get("--leader"),
            down: get("--down"),
            log_committed: get("--log-committed"),
            msg: [
                get("--msg-0"),
                get("--msg-1"),
                get("--msg-2"),
                get("--msg-3"),
                get("--msg-4"),
                get("--msg-5"),
                get("--msg-6"),
                get("--msg-7"),
            ],
            group: [
                get("--group-0"),
                get("--group-1"),
                get("--group-2"),
                get("--group-3"),
            ],
            group_edge: [
                get("--group-0-edge"),
                get("--group-1-edge"),
                get("--group-2-edge"),
                get("--group-3-edge"),
            ],
        }
    }

    fn role(&self, role: RoleKind) -> &JsValue {
        match role {
            RoleKind::Follower => &self.follower,
            RoleKind::Candidate => &self.candidate,
            RoleKind::Leader => &self.leader,
            RoleKind::Down => &self.down,
        }
    }
}

const UI_FONT: &str =
    "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Liberation Sans\", \"Noto Sans CJK SC\", \"PingFang SC\", \"Microsoft YaHei\", sans-serif";
const MONO_FONT: &str = "ui-monospace, Menlo, Consolas, \"DejaVu Sans Mono\", monospace";

/// The resize observer and its callback, kept alive with the renderer.
type SizeWatch = (ResizeObserver, Closure<dyn Fn(js_sys::Array)>);

pub struct Renderer {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    palette: Palette,
    dashed: JsValue,
    dotted: JsValue,
    solid: JsValue,
    /// The canvas's CSS size as last reported by the resize observer:
    /// reading `clientWidth` every frame would force a layout after each
    /// DOM update of the panels.
    observed: Rc<Cell<Option<(f64, f64)>>>,
    _observer: Option<SizeWatch>,
    /// CSS size and device pixel ratio the backing store was made for.
    size: (f64, f64, f64),
    fonts: Fonts,
    /// `n0`, `n1`, ... and `0`..`99` as JS strings, made once.
    ids: Vec<JsValue>,
    numbers: Vec<JsValue>,
    regions: super::regions::RegionStyle,
    backdrop: Option<Backdrop>,
    /// The frame as pixels, for crowds of messages.
    pixels: Pixels,
}

/// A crowd of messages (thousands at 51 nodes under load) is written as
/// pixels over a copy of the backdrop's and handed to the canvas as one
/// image: the canvas then rasterises one copy instead of thousands of
/// rectangles, and the page makes one call instead of thousands.
#[derive(Default)]
struct Pixels {
    /// Device pixels across and down.
    width: usize,
    height: usize,
    /// The backdrop's pixels (RGBA), read whenever it is drawn again;
    /// empty when they could not be read.
    backdrop: Vec<u8>,
    /// This frame's, written each frame.
    frame: Vec<u8>,
    /// The message colours as RGBA, read with the palette.
    colours: [[u8; 4]; 8],
}

impl Pixels {
    /// Reads the backdrop's pixels after it was drawn.
    fn read_backdrop(&mut self, backdrop: &Backdrop) {
        let (w, h) = (backdrop.canvas.width(), backdrop.canvas.height());
        self.width = w as usize;
        self.height = h as usize;
        self.backdrop = backdrop
            .ctx
            .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
            .map(|d| d.data().0)
            .unwrap_or_default();
        if self.backdrop.len() != self.width * self.height * 4 {
            self.backdrop.clear();
        }
    }

    /// A square of side `side` device pixels centred on `(x, y)`, in
    /// `rgba` at `alpha` over what is there.
    fn square(&mut self, x: f64, y: f64, side: f64, rgba: [u8; 4], alpha: f64) {
        let half = side / 2.0;
        let clip = |v: f64, max: usize| v.round().clamp(0.0, max as f64) as usize;
        let (x0, x1) = (clip(x - half, self.width), clip(x + half, self.width));
        let (y0, y1) = (clip(y - half, self.height), clip(y + half, self.height));
        let a = (alpha * 256.0) as u32;
        for row in y0..y1 {
            let start = (row * self.width + x0) * 4;
            let end = (row * self.width + x1) * 4;
            for px in self.frame[start..end].chunks_exact_mut(4) {
                if a >= 256 {
                    px.copy_from_slice(&rgba);
                } else {
                    for (d, s) in px.iter_mut().zip(rgba).take(3) {
                        *d = ((u32::from(*d) * (256 - a) + u32::from(s) * a) >> 8) as u8;
                    }
                }
            }
        }
    }
}

/// A CSS colour as RGBA bytes, by painting it on a one-pixel canvas.
fn rgba_of(colour: &JsValue) -> Option<[u8; 4]> {
    let canvas = dom::new_canvas()?;
    canvas.set_width(1);
    canvas.set_height(1);
    let ctx = dom::context_2d(&canvas)?;
    ctx.set_fill(colour);
    ctx.fill_rect(0.0, 0.0, 1.0, 1.0);
    let data = ctx.get_image_data(0.0, 0.0, 1.0, 1.0).ok()?.data().0;
    Some([*data.first()?, *data.get(1)?, *data.get(2)?, 255])
}

/// What does not move from frame to frame (the page colour, the regions,
/// the partition groups and the links), drawn on a canvas of its own when
/// it changes and copied under each frame as one image. At 51 nodes the
/// links are 1,275 lines, and rasterising them every frame cost more than
/// everything else on the canvas together.
struct Backdrop {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// What it shows now; `None` until first drawn and after a resize or a
    /// theme change.
    drawn: Option<BackdropKey>,
}

/// Everything the backdrop is drawn from.
#[derive(PartialEq)]
struct BackdropKey {
    size: (f64, f64, f64),
    radius: f64,
    regions: Vec<crate::regions::RegionTint>,
    region_legend: Option<String>,
    hulls: Vec<crate::scene::Hull>,
    links: Vec<(Vec2, Vec2)>,
}

impl BackdropKey {
    fn shows(&self, size: (f64, f64, f64), scene: &Scene) -> bool {
        self.size == size
            && self.radius == scene.radius
            && self.regions == scene.regions
            && self.region_legend == scene.region_legend
            && self.hulls == scene.hulls
            && self.links == scene.links
    }

    fn of(size: (f64, f64, f64), scene: &Scene) -> BackdropKey {
        BackdropKey {
            size,
            radius: scene.radius,
            regions: scene.regions.clone(),
            region_legend: scene.region_legend.clone(),
            hulls: scene.hulls.clone(),
            links: scene.links.clone(),
        }
    }
}

impl Backdrop {
    fn new() -> Option<Backdrop> {
        let canvas = dom::new_canvas()?;
        let ctx = dom::context_2d(&canvas)?;
        Some(Backdrop {
            canvas,
            ctx,
            drawn: None,
        })
    }
}

/// Font strings for the current node size, rebuilt only when it changes.
struct Fonts {
    radius: f64,
    id: String,
    label: String,
    cell: String,
    message: String,
    group: String,
}

impl Fonts {
    fn for_radius(radius: f64) -> Fonts {
        let id_px = (radius * 0.5).clamp(8.0, 15.0).round();
        Fonts {
            radius,
            id: format!("700 {id_px}px {MONO_FONT}"),
            label: format!("500 11.5px {UI_FONT}"),
            cell: format!("600 9px {MONO_FONT}"),
            message: format!("500 10px {MONO_FONT}"),
            group: format!("600 12px {UI_FONT}"),
        }
    }
}

fn dash(pattern: &[f64]) -> JsValue {
    let array = js_sys::Array::new();
    for x in pattern {
        array.push(&JsValue::from_f64(*x));
    }
    array.into()
}

/// Above this many messages, they are drawn as small squares: a square is
/// one path call and cheap to rasterise, and at that density nobody can
/// tell.
const SQUARES_ABOVE: usize = 250;

impl Renderer {
    pub fn new(canvas: HtmlCanvasElement) -> Option<Renderer> {
        let ctx = dom::context_2d(&canvas)?;
        let observed = Rc::new(Cell::new(Some((
            f64::from(canvas.client_width()),
            f64::from(canvas.client_height()),
        ))));
        let observer = {
            let observed = observed.clone();
            let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
                if let Some(entry) = entries.get(0).dyn_ref::<ResizeObserverEntry>() {
                    let rect = entry.content_rect();
                    observed.set(Some((rect.width(), rect.height())));
                }
            });
            ResizeObserver::new(callback.as_ref().unchecked_ref())
                .ok()
                .map(|observer| {
                    observer.observe(&canvas);
                    (observer, callback)
                })
        };
        Some(Renderer {
            canvas,
            ctx,
            palette: Palette::read(),
            dashed: dash(&[6.0, 5.0]),
            dotted: dash(&[2.0, 3.0]),
            solid: dash(&[]),
            observed,
            _observer: observer,
            size: (0.0, 0.0, 0.0),
            fonts: Fonts::for_radius(0.0),
            ids: Vec::new(),
            numbers: (0..100)
                .map(|n| JsValue::from_str(&n.to_string()))
                .collect(),
            regions: super::regions::RegionStyle::read(),
            backdrop: Backdrop::new(),
            pixels: Pixels::default(),
        })
        .map(|mut r| {
            r.read_message_colours();
            r
        })
    }

    /// Matches the backing store to the canvas's CSS size times the device
    /// pixel ratio, so lines stay crisp on high-DPI screens. Returns the
    /// CSS size when it changed.
    pub fn fit(&mut self) -> Option<(f64, f64)> {
        let (width, height) = self.observed.get()?;
        let dpr = dom::window().device_pixel_ratio().max(1.0);
        if (width, height, dpr) == self.size || width < 1.0 || height < 1.0 {
            return None;
        }
        self.size = (width, height, dpr);
        self.canvas.set_width((width * dpr).round() as u32);
        self.canvas.set_height((height * dpr).round() as u32);
        if let Some(b) = &mut self.backdrop {
            b.canvas.set_width((width * dpr).round() as u32);
            b.canvas.set_height((height * dpr).round() as u32);
            b.drawn = None;
        }
        Some((width, height))
    }

    /// Reads the colours again (the theme changed).
    pub fn reload_palette(&mut self) {
        self.palette = Palette::read();
        self.regions = super::regions::RegionStyle::read();
        if let Some(b) = &mut self.backdrop {
            b.drawn = None;
        }
        self.read_message_colours();
    }

    fn read_message_colours(&mut self) {
        for (rgba, colour) in self.pixels.colours.iter_mut().zip(&self.palette.msg) {
            *rgba = rgba_of(colour).unwrap_or([128, 128, 128, 255]);
        }
    }

    pub fn draw(&mut self, scene: &Scene) {
        if (self.fonts.radius - scene.radius).abs() > 0.01 {
            self.fonts = Fonts::for_radius(scene.radius);
        }
        while self.ids.len() < scene.nodes.len() {
            let label = format!("n{}", self.ids.len());
            self.ids.push(JsValue::from_str(&label));
        }
        let stale = self
            .backdrop
            .as_ref()
            .is_some_and(|b| !b.drawn.as_ref().is_some_and(|k| k.shows(self.size, scene)));
        if let (true, Some(b)) = (stale, &self.backdrop) {
            self.draw_backdrop(&b.ctx, scene);
            self.pixels.read_backdrop(b);
        }
        if stale {
            if let Some(b) = &mut self.backdrop {
                b.drawn = Some(BackdropKey::of(self.size, scene));
            }
        }
        let as_pixels = self.backdrop.is_some()
            && scene.sprites.len() > SQUARES_ABOVE
            && !self.pixels.backdrop.is_empty();
        if as_pixels {
            self.put_message_pixels(scene);
        }
        let dpr = self.size.2.max(1.0);
        let ctx = &self.ctx;
        match &self.backdrop {
            Some(_) if as_pixels => {
                let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
                ctx.set_line_cap("round");
                ctx.set_line_join("round");
                self.draw_link_marks(scene);
            }
            Some(b) => {
                // Device pixels to device pixels.
                let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
                let _ = ctx.draw_image_with_html_canvas_element(&b.canvas, 0.0, 0.0);
                let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
                ctx.set_line_cap("round");
                ctx.set_line_join("round");
                self.draw_link_marks(scene);
                self.draw_message_dots(scene);
            }
            None => {
                self.draw_backdrop(ctx, scene);
                self.draw_link_marks(scene);
                self.draw_message_dots(scene);
            }
        }
        let ctx = &self.ctx;
        self.draw_message_rings(scene);
        self.draw_nodes(scene);
        self.draw_message_labels(scene);
        if let Some((a, b)) = scene.stroke {
            let _ = ctx.set_line_dash(&self.dashed);
            ctx.set_stroke(&self.palette.bad);
            ctx.set_line_width(2.0);
            ctx.begin_path();
            ctx.move_to(a.x, a.y);
            ctx.line_to(b.x, b.y);
            ctx.stroke();
            let _ = ctx.set_line_dash(&self.solid);
        }
    }

    /// The page colour, regions, partition groups and links, onto `ctx`.
    fn draw_backdrop(&self, ctx: &CanvasRenderingContext2d, scene: &Scene) {
        let dpr = self.size.2.max(1.0);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.set_fill(&self.palette.surface);
        ctx.fill_rect(0.0, 0.0, scene.width, scene.height);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        super::regions::draw(ctx, scene, &self.regions);
        self.draw_groups(ctx, scene);
        if !scene.links.is_empty() {
            ctx.begin_path();
            for (a, b) in &scene.links {
                ctx.move_to(a.x, a.y);
                ctx.line_to(b.x, b.y);
            }
            ctx.set_stroke(&self.palette.faint);
            ctx.set_line_width(1.0);
            ctx.stroke();
        }
    }

    /// Each partition group as a soft rounded blob: its convex hull stroked
    /// with a wide round-joined pen, which rounds every corner, and filled.
    fn draw_groups(&self, ctx: &CanvasRenderingContext2d, scene: &Scene) {
        let pad = scene.radius + 16.0;
        for hull in &scene.hulls {
            let colour = hull.index % 4;
            let Some(first) = hull.points.first() else {
                continue;
            };
            ctx.begin_path();
            ctx.move_to(first.x, first.y);
            for p in &hull.points[1..] {
                ctx.line_to(p.x, p.y);
            }
            if hull.points.len() == 1 {
                // A zero-length segment with round caps is a dot.
                ctx.line_to(first.x + 0.01, first.y);
            }
            ctx.close_path();
            ctx.set_stroke(&self.palette.group_edge[colour]);
            ctx.set_line_width(2.0 * pad + 3.0);
            ctx.stroke();
            ctx.set_stroke(&self.palette.group[colour]);
            ctx.set_fill(&self.palette.group[colour]);
            ctx.set_line_width(2.0 * pad);
            ctx.stroke();
            ctx.fill();
        }
        ctx.set_font(&self.fonts.group);
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        for hull in &scene.hulls {
            let at = clamp_label(hull.label_at, scene, 60.0);
            ctx.set_fill(if hull.quorum {
                &self.palette.ok
            } else {
                &self.palette.warn
            });
            let _ = ctx.fill_text(&hull.label, at.x, at.y);
        }
    }

    /// The link under the pointer and the links cut by hand, over the
    /// backdrop's links.
    fn draw_link_marks(&self, scene: &Scene) {
        let ctx = &self.ctx;
        if let Some((a, b)) = scene.hover_link {
            ctx.begin_path();
            ctx.move_to(a.x, a.y);
            ctx.line_to(b.x, b.y);
            ctx.set_stroke(&self.palette.accent);
            ctx.set_line_width(2.5);
            ctx.set_global_alpha(0.55);
            ctx.stroke();
            ctx.set_global_alpha(1.0);
        }
        if scene.cuts.is_empty() {
            return;
        }
        ctx.begin_path();
        for cut in &scene.cuts {
            ctx.move_to(cut.a.x, cut.a.y);
            ctx.line_to(cut.b.x, cut.b.y);
        }
        let _ = ctx.set_line_dash(&self.dashed);
        ctx.set_stroke(&self.palette.bad);
        ctx.set_line_width(1.5);
        ctx.stroke();
        let _ = ctx.set_line_dash(&self.solid);
        // A cross near the receiving end of each blocked direction.
        ctx.begin_path();
        let size = 4.0;
        for cut in &scene.cuts {
            for (blocked, from, to) in [(cut.a_to_b, cut.a, cut.b), (cut.b_to_a, cut.b, cut.a)] {
                if !blocked {
                    continue;
                }
                let m = from.lerp(to, 0.68);
                ctx.move_to(m.x - size, m.y - size);
                ctx.line_to(m.x + size, m.y + size);
                ctx.move_to(m.x - size, m.y + size);
                ctx.line_to(m.x + size, m.y - size);
            }
        }
        ctx.set_line_width(2.0);
        ctx.stroke();
    }

    /// The dot of each message (a square in a crowd): one path per message
    /// kind; messages being dropped in a second, fainter pass, each shrunk
    /// by how far it has faded.
    fn draw_message_dots(&self, scene: &Scene) {
        let ctx = &self.ctx;
        let squares = scene.sprites.len() > SQUARES_ABOVE;
        each_message_group(scene, |kind, doomed, dots| {
            ctx.set_fill(&self.palette.msg[usize::from(kind) % 8]);
            ctx.set_global_alpha(if doomed { 0.45 } else { 1.0 });
            if squares {
                for (at, r) in dots {
                    ctx.fill_rect(at.x - r, at.y - r, 2.0 * r, 2.0 * r);
                }
            } else {
                ctx.begin_path();
                for (at, r) in dots {
                    ctx.move_to(at.x + r, at.y);
                    let _ = ctx.arc(at.x, at.y, r, 0.0, TAU);
                }
                ctx.fill();
            }
        });
        ctx.set_global_alpha(1.0);
    }

    /// The backdrop with the crowd's squares written over it, as one image,
    /// in the order the paths would paint them.
    fn put_message_pixels(&mut self, scene: &Scene) {
        let dpr = self.size.2.max(1.0);
        let px = &mut self.pixels;
        px.frame.clone_from(&px.backdrop);
        each_message_group(scene, |kind, doomed, dots| {
            let rgba = px.colours[usize::from(kind) % 8];
            let alpha = if doomed { 0.45 } else { 1.0 };
            for (at, r) in dots {
                px.square(at.x * dpr, at.y * dpr, 2.0 * r * dpr, rgba, alpha);
            }
        });
        let (w, h) = (px.width as u32, px.height as u32);
        if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&px.frame), w, h) {
            let _ = self.ctx.put_image_data(&image, 0.0, 0.0);
        }
    }

    /// Rings around the messages that served the highlighted operation and
    /// around the selected one.
    fn draw_message_rings(&self, scene: &Scene) {
        let ctx = &self.ctx;
        let dot = message_dot(scene);
        // Messages that served the highlighted operation: one ring each,
        // in one path.
        ctx.begin_path();
        let mut any = false;
        for s in scene.sprites.iter().filter(|s| s.served && s.size > 0.2) {
            let r = dot * s.size + 3.0;
            ctx.move_to(s.at.x + r, s.at.y);
            let _ = ctx.arc(s.at.x, s.at.y, r, 0.0, TAU);
            any = true;
        }
        if any {
            ctx.set_stroke(&self.palette.text);
            ctx.set_line_width(1.5);
            ctx.stroke();
        }
        // The selected message (here or in the diagram): a bold ring.
        if let Some(s) = scene.sprites.iter().find(|s| s.selected) {
            let r = dot * s.size.max(0.5) + 5.0;
            ctx.begin_path();
            let _ = ctx.arc(s.at.x, s.at.y, r, 0.0, TAU);
            ctx.set_stroke(&self.palette.accent);
            ctx.set_line_width(2.5);
            ctx.stroke();
        }
    }

    fn draw_message_labels(&self, scene: &Scene) {
        let ctx = &self.ctx;
        ctx.set_font(&self.fonts.message);
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        for s in &scene.sprites {
            let Some(label) = &s.label else {
                continue;
            };
            let width = ctx.measure_text(label).map_or(40.0, |m| m.width()) + 10.0;
            let (x, y) = (s.at.x, s.at.y - 13.0);
            ctx.begin_path();
            let _ = ctx.round_rect_with_f64(x - width / 2.0, y - 8.0, width, 16.0, 8.0);
            ctx.set_fill(&self.palette.surface);
            ctx.set_global_alpha(if s.doomed { 0.6 } else { 0.92 });
            ctx.fill();
            ctx.set_stroke(&self.palette.msg[usize::from(s.kind) % 8]);
            ctx.set_line_width(1.0);
            ctx.stroke();
            ctx.set_fill(&self.palette.text);
            let _ = ctx.fill_text(label, x, y + 0.5);
        }
        ctx.set_global_alpha(1.0);
    }

    /// The nodes, in passes that each keep one font or one style: halos,
    /// timers, bodies, ids, then labels and log strips.
    fn draw_nodes(&self, scene: &Scene) {
        let ctx = &self.ctx;
        let p = &self.palette;
        let r = scene.radius;
        for node in &scene.nodes {
            self.draw_halos(scene, node);
        }
        self.draw_timers(scene);
        for role in [
            RoleKind::Follower,
            RoleKind::Candidate,
            RoleKind::Leader,
            RoleKind::Down,
        ] {
            self.draw_bodies(r, role, scene.nodes.iter().filter(|n| n.role == role));
        }
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        if r >= 7.0 {
            ctx.set_font(&self.fonts.id);
            for node in &scene.nodes {
                ctx.set_fill(match node.role {
                    RoleKind::Leader => &p.accent_text,
                    RoleKind::Down => &p.muted,
                    _ => &p.text,
                });
                let id = &self.ids[usize::from(node.id)];
                ctx.fill_cached_text(id, node.at.x, node.at.y + 0.5);
            }
        }
        if !scene.roomy {
            return;
        }
        // Role and term under each node, then the tail of its log.
        ctx.set_font(&self.fonts.label);
        for node in &scene.nodes {
            let colour = if node.role == RoleKind::Follower {
                &p.muted
            } else {
                p.role(node.role)
            };
            ctx.set_fill(colour);
            let label = match node.in_doubt {
                // The time spent blocked is the point of 2PC's failure.
                Some(d) => format!(
                    "{} {} · {}{}",
                    crate::i18n::t_dyn(node.role_label),
                    crate::board::format_span(d),
                    node.clock,
                    node.term
                ),
                None => format!(
                    "{} · {}{}",
                    crate::i18n::t_dyn(node.role_label),
                    node.clock,
                    node.term
                ),
            };
            let _ = ctx.fill_text(&label, node.at.x, node.at.y + r + 16.0);
        }
        ctx.set_font(&self.fonts.cell);
        for node in &scene.nodes {
            self.draw_log_strip(scene, node);
        }
    }

    fn draw_halos(&self, scene: &Scene, node: &NodeGlyph) {
        let ctx = &self.ctx;
        let p = &self.palette;
        let r = scene.radius;
        let Vec2 { x, y } = node.at;
        if node.flagged {
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 14.0, 0.0, TAU);
            ctx.set_fill(&p.bad);
            ctx.set_global_alpha(0.18);
            ctx.fill();
            ctx.set_global_alpha(1.0);
            ctx.set_stroke(&p.bad);
            ctx.set_line_width(2.5);
            ctx.stroke();
        }
        if node.hovered || node.dragged {
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 9.0, 0.0, TAU);
            ctx.set_fill(&p.faint);
            ctx.set_global_alpha(0.6);
            ctx.fill();
            ctx.set_global_alpha(1.0);
        }
        if node.served {
            // A dashed accent ring: served the operation under the pointer
            // in the history view (the solid ring is the selection).
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 13.0, 0.0, TAU);
            ctx.set_fill(&p.accent);
            ctx.set_global_alpha(0.12);
            ctx.fill();
            ctx.set_global_alpha(1.0);
            let _ = ctx.set_line_dash(&self.dashed);
            ctx.set_stroke(&p.accent);
            ctx.set_line_width(2.0);
            ctx.stroke();
            let _ = ctx.set_line_dash(&self.solid);
        }
        if node.selected {
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 10.0, 0.0, TAU);
            ctx.set_stroke(&p.accent);
            ctx.set_line_width(2.5);
            ctx.stroke();
        }
    }

    /// The election timers: each a ring that fills up until its node runs
    /// for leader, amber in its last quarter. All rings of one colour are
    /// one path: the rasteriser's cost is mostly per path, not per ring.
    fn draw_timers(&self, scene: &Scene) {
        let ctx = &self.ctx;
        let p = &self.palette;
        let r = scene.radius;
        let ring = r + 5.0;
        let timed = || scene.nodes.iter().filter_map(|n| Some((n.at, n.timer?)));
        if timed().next().is_none() {
            return;
        }
        ctx.set_line_width(if r < 10.0 { 1.5 } else { 2.5 });
        ctx.begin_path();
        for (at, _) in timed() {
            ctx.move_to(at.x + ring, at.y);
            let _ = ctx.arc(at.x, at.y, ring, 0.0, TAU);
        }
        ctx.set_stroke(&p.faint);
        ctx.stroke();
        for (late, colour) in [(false, &p.muted), (true, &p.warn)] {
            ctx.begin_path();
            let mut any = false;
            for (at, elapsed) in timed().filter(|(_, e)| *e > 0.0 && (*e > 0.75) == late) {
                let start = -FRAC_PI_2;
                let end = start + TAU * elapsed;
                ctx.move_to(at.x + ring * start.cos(), at.y + ring * start.sin());
                let _ = ctx.arc(at.x, at.y, ring, start, end);
                any = true;
            }
            if any {
                ctx.set_stroke(colour);
                ctx.stroke();
            }
        }
    }

    /// The bodies of the nodes in `role`, whose shape and colours the role
    /// sets: one path for all of them, filled and stroked once.
    fn draw_bodies<'a>(
        &self,
        r: f64,
        role: RoleKind,
        nodes: impl Iterator<Item = &'a NodeGlyph> + Clone,
    ) {
        let ctx = &self.ctx;
        let p = &self.palette;
        if nodes.clone().next().is_none() {
            return;
        }
        let role_colour = p.role(role);
        let leader = role == RoleKind::Leader;
        ctx.begin_path();
        for node in nodes.clone() {
            let Vec2 { x, y } = node.at;
            match role {
                RoleKind::Follower | RoleKind::Down => {
                    ctx.move_to(x + r, y);
                    let _ = ctx.arc(x, y, r, 0.0, TAU);
                }
                RoleKind::Candidate => {
                    let d = r * 1.22;
                    ctx.move_to(x, y - d);
                    ctx.line_to(x + d, y);
                    ctx.line_to(x, y + d);
                    ctx.line_to(x - d, y);
                    ctx.close_path();
                }
                RoleKind::Leader => {
                    let h = r * 0.92;
                    let _ = ctx.round_rect_with_f64(x - h, y - h, 2.0 * h, 2.0 * h, r * 0.28);
                }
            }
        }
        ctx.set_fill(if leader { role_colour } else { &p.surface });
        ctx.fill();
        ctx.set_stroke(role_colour);
        ctx.set_line_width(if r < 10.0 { 1.5 } else { 2.2 });
        if role == RoleKind::Down {
            let _ = ctx.set_line_dash(&self.dotted);
        }
        ctx.stroke();
        let _ = ctx.set_line_dash(&self.solid);
        if leader {
            // A second, outer outline: the leader stands out in greyscale too.
            let h = r * 0.92 + (r * 0.15).clamp(2.0, 4.0);
            ctx.begin_path();
            for node in nodes.clone() {
                let Vec2 { x, y } = node.at;
                let _ = ctx.round_rect_with_f64(x - h, y - h, 2.0 * h, 2.0 * h, r * 0.28 + 4.0);
            }
            ctx.set_line_width(1.5);
            ctx.stroke();
        }
        if role == RoleKind::Down {
            // A cross over each one's id.
            let c = r * 0.62;
            ctx.begin_path();
            for node in nodes {
                let Vec2 { x, y } = node.at;
                ctx.move_to(x - c, y - c);
                ctx.line_to(x + c, y + c);
                ctx.move_to(x - c, y + c);
                ctx.line_to(x + c, y - c);
            }
            ctx.set_stroke(&p.down);
            ctx.set_line_width(1.5);
            ctx.set_global_alpha(0.7);
            ctx.stroke();
            ctx.set_global_alpha(1.0);
        }
    }

    fn draw_log_strip(&self, scene: &Scene, node: &NodeGlyph) {
        let ctx = &self.ctx;
        let p = &self.palette;
        let cells = scene.cells_of(node);
        if cells.is_empty() {
            return;
        }
        let size = 13.0;
        let gap = 2.0;
        let total = cells.len() as f64 * (size + gap) - gap;
        let mut cx = node.at.x - total / 2.0;
        let cy = node.at.y + scene.radius + 27.0;
        if node.log_len > cells.len() as u64 {
            ctx.set_fill(&p.muted);
            let _ = ctx.fill_text("…", cx - 7.0, cy + size / 2.0);
        }
        for cell in cells {
            ctx.begin_path();
            let _ = ctx.round_rect_with_f64(cx, cy, size, size, 2.5);
            if cell.committed {
                ctx.set_fill(&p.log_committed);
                ctx.fill();
            } else {
                ctx.set_fill(&p.surface);
                ctx.fill();
                ctx.set_stroke(&p.muted);
                ctx.set_line_width(1.0);
                let _ = ctx.set_line_dash(&self.dotted);
                ctx.stroke();
                let _ = ctx.set_line_dash(&self.solid);
            }
            if cell.flagged {
                ctx.set_stroke(&p.bad);
                ctx.set_line_width(2.0);
                ctx.stroke();
            }
            ctx.set_fill(if cell.committed { &p.surface } else { &p.muted });
            let (tx, ty) = (cx + size / 2.0, cy + size / 2.0 + 0.5);
            match self.numbers.get(cell.term as usize) {
                Some(term) => ctx.fill_cached_text(term, tx, ty),
                None => {
                    let _ = ctx.fill_text("+", tx, ty);
                }
            }
            cx += size + gap;
        }
    }
}

/// The messages' dots in the order they are painted: by kind, those in
/// flight before those being dropped (fainter), each group as centres and
/// radii, without the ones faded to nothing.
fn each_message_group(
    scene: &Scene,
    mut paint: impl FnMut(u8, bool, &mut dyn Iterator<Item = (Vec2, f64)>),
) {
    let dot = message_dot(scene);
    let kinds = scene
        .sprites
        .iter()
        .map(|s| s.kind)
        .max()
        .map_or(0, |k| k + 1);
    for kind in 0..kinds {
        for doomed in [false, true] {
            let mut dots = scene
                .sprites
                .iter()
                .filter(|s| s.kind == kind && s.doomed == doomed)
                .map(|s| (s.at, dot * s.size))
                .filter(|(_, r)| *r >= 0.3)
                .peekable();
            if dots.peek().is_some() {
                paint(kind, doomed, &mut dots);
            }
        }
    }
}

/// A message's radius at full size, in CSS pixels.
fn message_dot(scene: &Scene) -> f64 {
    if scene.roomy {
        4.5
    } else {
        2.6
    }
}

/// Keeps a label's centre inside the canvas.
fn clamp_label(at: Vec2, scene: &Scene, half_width: f64) -> Vec2 {
    Vec2::new(
        at.x.clamp(
            half_width + 4.0,
            (scene.width - half_width - 4.0).max(half_width + 4.0),
        ),
        at.y.clamp(12.0, (scene.height - 12.0).max(12.0)),
    )
}
