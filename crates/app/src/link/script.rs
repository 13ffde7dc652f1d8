//! The `script` record (tag 13): the forced schedule of a scenario, such
//! as a counterexample found by the explorer, so that a link to it replays
//! the very same run.
//!
//! Payload: the step count, then per step its time as a delta from the
//! previous step, a kind byte and the kind's fields. Deliveries, drops and
//! duplicates name a message id; a timer firing names a node and a timer;
//! an action ("act") is its length, then a one-action list in the
//! actions record's own format, so every action the app knows has one
//! encoding.
//!
//! Added after version 1 shipped: older pages skip the record and open
//! the scenario unscripted, which is the run the seed gives.

use splitbrain_core::scenario::{ScriptStep, Scripted};
use splitbrain_core::{MessageId, Time, TimedAction};

use super::{actions, next_time, read_actions, read_count, varint, LinkError, Reader};

const S_DELIVER: u8 = 0;
const S_DROP: u8 = 1;
const S_DUPLICATE: u8 = 2;
const S_FIRE: u8 = 3;
const S_ACT: u8 = 4;

pub(super) fn script(list: &[ScriptStep]) -> Vec<u8> {
    let mut out = varint(list.len() as u64);
    let mut last = 0;
    for s in list {
        out.extend(varint(s.at.0.saturating_sub(last)));
        last = s.at.0;
        match &s.step {
            Scripted::Deliver { id } => {
                out.push(S_DELIVER);
                out.extend(varint(id.0));
            }
            Scripted::Drop { id } => {
                out.push(S_DROP);
                out.extend(varint(id.0));
            }
            Scripted::Duplicate { id } => {
                out.push(S_DUPLICATE);
                out.extend(varint(id.0));
            }
            Scripted::Fire { node, timer } => {
                out.push(S_FIRE);
                out.extend(varint(u64::from(node.0)));
                out.push(*timer);
            }
            Scripted::Act { action } => {
                out.push(S_ACT);
                let one = actions(&[TimedAction {
                    at: Time::ZERO,
                    action: action.clone(),
                }]);
                out.extend(varint(one.len() as u64));
                out.extend(one);
            }
        }
    }
    out
}

pub(super) fn read_script(r: &mut Reader) -> Result<Vec<ScriptStep>, LinkError> {
    // A step takes at least three bytes.
    let count = read_count(r, 3, "script steps")?;
    let mut out = Vec::with_capacity(count);
    let mut at: u64 = 0;
    for _ in 0..count {
        at = next_time(r, at, "a script step's")?;
        let step = match r.byte()? {
            S_DELIVER => Scripted::Deliver {
                id: MessageId(r.varint()?),
            },
            S_DROP => Scripted::Drop {
                id: MessageId(r.varint()?),
            },
            S_DUPLICATE => Scripted::Duplicate {
                id: MessageId(r.varint()?),
            },
            S_FIRE => Scripted::Fire {
                node: r.node()?,
                timer: r.byte()?,
            },
            S_ACT => {
                let len = r.varint()?;
                let mut inner = Reader {
                    bytes: r.take(len)?,
                };
                let mut one = read_actions(&mut inner)?;
                if one.len() != 1 {
                    return Err(LinkError::Corrupt(
                        "a script step acts more than once".into(),
                    ));
                }
                Scripted::Act {
                    action: one.remove(0).action,
                }
            }
            other => {
                return Err(LinkError::Corrupt(format!(
                    "unknown script step kind {other}"
                )))
            }
        };
        out.push(ScriptStep { at: Time(at), step });
    }
    Ok(out)
}
