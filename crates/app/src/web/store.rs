//! The Yew side of the model: a reducer in the style of Yew's
//! function_todomvc example. The model itself is plain Rust
//! ([`crate::model`]); the store wraps it so that dispatching a message
//! updates it and, when the panel data changed, re-renders the page.

use std::cell::RefCell;
use std::rc::Rc;

use yew::Reducible;

use crate::model::{Model, Msg, PointerMsg};
use crate::panel::Panel;

/// The live model, shared by the components and the animation loop. Compared
/// by identity: there is only ever one.
#[derive(Clone)]
pub struct ModelRef(pub Rc<RefCell<Model>>);

impl PartialEq for ModelRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub enum Action {
    Do(Msg),
    /// Rebuild the panels' data: simulated time moved on, or the
    /// language's text arrived.
    Refresh,
}

pub struct Store {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
    /// Counts the rebuilds made while the run plays: whose turn it is.
    turn: u64,
}

impl Store {
    pub fn new(model: Model) -> Store {
        let panel = Rc::new(Panel::of(&model));
        Store {
            model: ModelRef(Rc::new(RefCell::new(model))),
            panel,
            turn: 0,
        }
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.panel, &other.panel)
    }
}

impl Reducible for Store {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let msg = match action {
            // Hovering and dragging only change the canvas, which the
            // animation loop redraws; the panels are left alone.
            Action::Do(msg @ Msg::Pointer(PointerMsg::Move { .. } | PointerMsg::Leave)) => {
                self.model.0.borrow_mut().update(msg);
                return self;
            }
            Action::Do(msg) => Some(msg),
            Action::Refresh => None,
        };
        let acted = msg.is_some();
        let mut panel = {
            let mut model = self.model.0.borrow_mut();
            if let Some(msg) = msg {
                model.update(msg);
            }
            Panel::of(&model)
        };
        // While the run plays on, the two panels that change most and cost
        // most to lay out at 51 nodes (the board and the event log) take
        // turns, so that no frame carries both. Actions, pausing, playing
        // and the language's arrival show everything exactly.
        let playing_on = !acted
            && panel.playing
            && self.panel.playing
            && (panel.lang, panel.text_ready) == (self.panel.lang, self.panel.text_ready);
        let turn = if playing_on { self.turn + 1 } else { self.turn };
        if playing_on {
            if self.turn % 2 == 0 {
                panel.log = self.panel.log.clone();
            } else {
                panel.board = self.panel.board.clone();
            }
        }
        if panel == *self.panel {
            return self;
        }
        Rc::new(Store {
            model: self.model.clone(),
            panel: Rc::new(panel),
            turn,
        })
    }
}
