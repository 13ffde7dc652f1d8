//! Keyboard shortcuts: which key does what, and where. The help overlay
//! lists [`SHORTCUTS`], so the list and the behaviour cannot drift apart
//! unnoticed (a test checks every listed key).

use crate::model::{Msg, NodeCommand, Overlay, TourMsg, TravelMsg};

/// A key press, reduced to what decides its meaning.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyPress<'a> {
    /// `KeyboardEvent.key`: `" "`, `"ArrowRight"`, `"c"`, `"?"`, ...
    pub key: &'a str,
    /// Ctrl, Meta or Alt held: the browser's or the system's shortcut.
    pub modified: bool,
    /// Focus is on the cluster canvas, where arrows move the selection.
    pub on_canvas: bool,
    /// Focus is in a text field, a select or a slider, which need their
    /// keys for themselves.
    pub in_field: bool,
    /// Focus is on a button or link, which Space and Enter activate.
    pub on_button: bool,
}

/// The shortcuts as the help overlay lists them: keys, then what they do.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "Play or pause"),
    ("→ or .", "Step: run the next event"),
    ("+ / −", "Faster / slower"),
    (
        "Tab",
        "Reach the cluster view, then ← → ↑ ↓ to select a node",
    ),
    (
        "Enter",
        "Open the selected node's menu (on the cluster view)",
    ),
    ("C", "Crash or restart the selected node"),
    ("T", "Force the selected node's election timeout"),
    (
        "R",
        "Send a client request (to the selected node, else the leader)",
    ),
    ("H", "Heal every partition and cut link"),
    ("L", "Toggle a steady stream of client requests"),
    ("N", "New run with a new seed"),
    ("?", "Show this help"),
    ("Esc", "Close a menu or dialog, or clear the selection"),
    ("P", "Switch to the next protocol (a fresh run)"),
    ("G", "Open the gallery of scenarios"),
    ("← or ,", "Step back one event"),
    (
        "[ / ]",
        "Jump to the previous / next event of the chosen kind",
    ),
    (
        "K",
        "Choose what [ and ] jump to: leader change, crash, partition, violation, client reply",
    ),
    ("End", "Back to the end of the run"),
    (
        "M / Shift+M",
        "Select the next / previous message in flight (shown in the diagram too)",
    ),
    (
        "O",
        "Switch between the cluster view and the hash ring view",
    ),
    (
        "{ / }",
        "Previous / next tour caption (Space plays on from a caption)",
    ),
    (
        "X",
        "Open the explorer: search every reachable state for a violation",
    ),
];

/// What a key press means, if anything.
pub fn shortcut(press: KeyPress<'_>) -> Option<Msg> {
    if press.modified {
        return None;
    }
    if press.key == "Escape" {
        return Some(Msg::Escape);
    }
    if press.in_field {
        return None;
    }
    let msg = match press.key {
        " " | "Spacebar" if !press.on_button => Msg::TogglePlay,
        "ArrowRight" | "ArrowDown" if press.on_canvas => Msg::SelectNext,
        "ArrowLeft" | "ArrowUp" if press.on_canvas => Msg::SelectPrevious,
        "Enter" if press.on_canvas => Msg::OpenSelectedMenu,
        "ArrowRight" | "." => Msg::Step,
        "+" | "=" => Msg::Faster,
        "-" | "_" => Msg::Slower,
        "c" | "C" => Msg::Selected(NodeCommand::ToggleCrash),
        "t" | "T" => Msg::Selected(NodeCommand::Timeout),
        "r" | "R" => Msg::Selected(NodeCommand::QuickRequest),
        "h" | "H" => Msg::Heal,
        "l" | "L" => Msg::ToggleSteadyLoad,
        "n" | "N" => Msg::NewSeed,
        "?" => Msg::ShowOverlay(Overlay::Help),
        "p" | "P" => Msg::NextProtocol,
        "g" | "G" => Msg::ShowOverlay(Overlay::Gallery),
        "ArrowLeft" | "," => Msg::Travel(TravelMsg::StepBack),
        "[" => Msg::Travel(TravelMsg::Jump(false)),
        "]" => Msg::Travel(TravelMsg::Jump(true)),
        "k" | "K" => Msg::Travel(TravelMsg::CycleKind),
        "End" => Msg::Travel(TravelMsg::Live),
        "m" => Msg::Travel(TravelMsg::CycleMessage(true)),
        "M" => Msg::Travel(TravelMsg::CycleMessage(false)),
        "o" | "O" => Msg::ToggleRingView,
        "{" => Msg::Tour(TourMsg::Previous),
        "}" => Msg::Tour(TourMsg::Next),
        "x" | "X" => Msg::ShowOverlay(Overlay::Explorer),
        _ => return None,
    };
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> KeyPress<'_> {
        KeyPress {
            key,
            ..KeyPress::default()
        }
    }

    #[test]
    fn every_listed_shortcut_does_something() {
        let keys = [
            " ",
            "ArrowRight",
            ".",
            "+",
            "-",
            "c",
            "t",
            "r",
            "h",
            "l",
            "n",
            "?",
            "Escape",
            "p",
            "g",
            "ArrowLeft",
            ",",
            "[",
            "]",
            "k",
            "End",
            "o",
            "{",
            "}",
            "x",
            "m",
            "M",
        ];
        for k in keys {
            assert!(shortcut(key(k)).is_some(), "{k:?}");
        }
        let on_canvas = KeyPress {
            on_canvas: true,
            ..key("Enter")
        };
        assert_eq!(shortcut(on_canvas), Some(Msg::OpenSelectedMenu));
        assert_eq!(SHORTCUTS.len(), 23);
    }

    #[test]
    fn arrows_step_the_run_but_move_the_selection_on_the_canvas() {
        assert_eq!(shortcut(key("ArrowRight")), Some(Msg::Step));
        assert_eq!(
            shortcut(key("ArrowLeft")),
            Some(Msg::Travel(TravelMsg::StepBack))
        );
        let on_canvas = |k| KeyPress {
            on_canvas: true,
            ..key(k)
        };
        assert_eq!(shortcut(on_canvas("ArrowRight")), Some(Msg::SelectNext));
        assert_eq!(shortcut(on_canvas("ArrowUp")), Some(Msg::SelectPrevious));
        assert_eq!(shortcut(on_canvas(".")), Some(Msg::Step));
    }

    #[test]
    fn fields_buttons_and_browser_shortcuts_keep_their_keys() {
        let in_field = |k| KeyPress {
            in_field: true,
            ..key(k)
        };
        assert_eq!(shortcut(in_field("c")), None);
        assert_eq!(shortcut(in_field("Escape")), Some(Msg::Escape));
        let on_button = KeyPress {
            on_button: true,
            ..key(" ")
        };
        assert_eq!(shortcut(on_button), None);
        let ctrl_r = KeyPress {
            modified: true,
            ..key("r")
        };
        assert_eq!(shortcut(ctrl_r), None);
    }
}
