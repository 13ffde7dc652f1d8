//! Prints the permalink of a scenario file, for docs and chats:
//!
//! ```sh
//! cargo run -p splitbrain-app --example link -- web/scenarios/raft-election.json
//! cargo run -p splitbrain-app --example link -- FILE.json --embed --speed 0.2 --loop \
//!     --controls play,reset,time --iframe ../index.html
//! ```
//!
//! `--embed` makes an embed link (autoplay unless `--paused`); `--iframe
//! PAGE` prints the whole `<iframe>` pointing at the app at PAGE.

use splitbrain_app::link::{self, controls, Embed, Link};
use splitbrain_app::model::{Theme, SPEEDS};
use splitbrain_core::Scenario;

fn main() {
    if let Err(e) = run() {
        eprintln!("link: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: link FILE.json [options]")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let scenario: Scenario = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    scenario.validate().map_err(|e| format!("{file}: {e}"))?;
    let mut link = Link::new(scenario);
    let mut embed: Option<Embed> = None;
    let mut iframe: Option<String> = None;
    let (mut width, mut height) = (640, 400);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--embed" => embed = Some(embed.unwrap_or_default()),
            "--loop" => embed.get_or_insert_with(Embed::default).looped = true,
            "--paused" => embed.get_or_insert_with(Embed::default).autoplay = false,
            "--theme" => {
                embed.get_or_insert_with(Embed::default).theme = match value()?.as_str() {
                    "light" => Some(Theme::Light),
                    "dark" => Some(Theme::Dark),
                    _ => None,
                }
            }
            "--controls" => {
                let mut bits = 0;
                for name in value()?.split(',') {
                    let (bit, _) = controls::NAMES
                        .iter()
                        .find(|(_, n)| *n == name)
                        .ok_or(format!("unknown control {name}"))?;
                    bits |= bit;
                }
                embed.get_or_insert_with(Embed::default).controls = bits;
            }
            "--speed" => {
                let speed: f64 = value()?.parse().map_err(|_| "--speed needs a number")?;
                if !SPEEDS.contains(&speed) {
                    return Err(format!("--speed must be one of {SPEEDS:?}"));
                }
                link.view.speed = speed;
            }
            "--iframe" => iframe = Some(value()?),
            "--size" => {
                let v = value()?;
                let (w, h) = v.split_once('x').ok_or("--size needs WxH")?;
                width = w.parse().map_err(|_| "bad width")?;
                height = h.parse().map_err(|_| "bad height")?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    link.embed = embed;
    let fragment = link::encode(&link);
    match iframe {
        Some(page) => println!(
            "{}",
            link::iframe_snippet(
                &page,
                &fragment,
                link.scenario.title.as_deref(),
                width,
                height
            )
        ),
        None => println!("{fragment}"),
    }
    Ok(())
}
