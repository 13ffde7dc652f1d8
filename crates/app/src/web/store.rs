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
    /// Simulated time moved on: rebuild the panels' data.
    Refresh,
}

pub struct Store {
    pub model: ModelRef,
    pub panel: Rc<Panel>,
}

impl Store {
    pub fn new(model: Model) -> Store {
        let panel = Rc::new(Panel::of(&model));
        Store {
            model: ModelRef(Rc::new(RefCell::new(model))),
            panel,
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
        let panel = {
            let mut model = self.model.0.borrow_mut();
            if let Some(msg) = msg {
                model.update(msg);
            }
            Panel::of(&model)
        };
        if panel == *self.panel {
            return self;
        }
        Rc::new(Store {
            model: self.model.clone(),
            panel: Rc::new(panel),
        })
    }
}
