//! Inline SVG icons: crisp at any pixel density, no extra requests.

use yew::{html, Html};

fn icon(path: &'static str) -> Html {
    html! {
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path fill-rule="evenodd" d={path} />
        </svg>
    }
}

pub fn play() -> Html {
    icon("M8 5v14l11-7z")
}

pub fn pause() -> Html {
    icon("M6 5h4v14H6zM14 5h4v14h-4z")
}

pub fn step() -> Html {
    icon("M6 5v14l9-7zM16 5h3v14h-3z")
}

pub fn reset() -> Html {
    icon("M12 4V1L7 5.5 12 10V6.5a5.5 5.5 0 1 1-5.5 5.5H4a8 8 0 1 0 8-8z")
}

pub fn dice() -> Html {
    icon(
        "M6 3h12a3 3 0 0 1 3 3v12a3 3 0 0 1-3 3H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3zm2 3.5a1.5 1.5 0 1 0 0 3 \
         1.5 1.5 0 0 0 0-3zm8 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm-4 4a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 \
         0 0-3zm-4 4a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm8 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z",
    )
}

pub fn sliders() -> Html {
    icon("M3 6h11v2H3zm14-2h2v6h-2zm2 2h2v2h-2zM3 16h5v2H3zm7-2h2v6h-2zm4 2h7v2h-7z")
}

pub fn theme() -> Html {
    icon("M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2v16a8 8 0 0 1 0-16z")
}

pub fn heal() -> Html {
    icon(
        "M9.9 14.1a1 1 0 0 1 0-1.4l2.8-2.8a1 1 0 1 1 1.4 1.4l-2.8 2.8a1 1 0 0 1-1.4 0zM7.4 19a3.4 3.4 0 0 1-2.4-5.8\
         l2.3-2.3 1.4 1.4-2.3 2.3a1.4 1.4 0 0 0 2 2l2.3-2.3 1.4 1.4-2.3 2.3a3.4 3.4 0 0 1-2.4 1zm8.7-6.5-1.4-1.4 \
         2.3-2.3a1.4 1.4 0 0 0-2-2l-2.3 2.3-1.4-1.4 2.3-2.3a3.4 3.4 0 0 1 4.8 4.8z",
    )
}

pub fn pulse() -> Html {
    icon("M2 13h4l2.5-6 4 12 3-9 1.5 3H22v2h-6.2l-.8-1.6-3 9-4-12L7.4 15H2z")
}

pub fn scenario() -> Html {
    icon(
        "M8 3H6.5A2.5 2.5 0 0 0 4 5.5v3A1.5 1.5 0 0 1 2.5 10H2v4h.5A1.5 1.5 0 0 1 4 15.5v3A2.5 2.5 0 0 0 6.5 21H8v-2H6.5\
         a.5.5 0 0 1-.5-.5v-3A3.5 3.5 0 0 0 4.6 12 3.5 3.5 0 0 0 6 8.5v-3a.5.5 0 0 1 .5-.5H8zm8 0h1.5A2.5 2.5 0 0 1 20 5.5v3\
         a1.5 1.5 0 0 0 1.5 1.5h.5v4h-.5a1.5 1.5 0 0 0-1.5 1.5v3a2.5 2.5 0 0 1-2.5 2.5H16v-2h1.5a.5.5 0 0 0 .5-.5v-3\
         a3.5 3.5 0 0 1 1.4-2.5A3.5 3.5 0 0 1 18 8.5v-3a.5.5 0 0 0-.5-.5H16z",
    )
}

pub fn gallery() -> Html {
    icon("M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z")
}

/// A magnifying glass: the explorer searches the state space.
pub fn explore() -> Html {
    icon("M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z")
}
