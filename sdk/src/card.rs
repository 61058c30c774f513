//! Card builder: `Card::new("Title").text("…").field("Amount", "¥1,200").button(…)`, and
//! pages of cards.
//!
//! ```ignore
//! let card = Card::new(ctx.tr("Leave request", "请假申请"))
//!     .person(&req.submitter_id, &req.submitter_name)
//!     .field(ctx.tr("Dates", "日期"), req.dates.to_string())
//!     .badge(ctx.tr("Waiting", "待审批"), Tone::Warning)
//!     .timeline_entry(req.created_ms, ctx.tr("Submitted", "已提交"), "", Tone::Info)
//!     .button(Button::new("approve", ctx.tr("Approve", "同意")).primary().value(&id))
//!     .button(Button::new("reject", ctx.tr("Reject", "拒绝")).danger().value(&id)
//!         .confirm(ctx.tr("Reject this request?", "确定拒绝？")));
//! ```

use crate::bindings::courtyard::plugin::types as t;
use crate::form::Form;

pub use t::{PersonRef, TimelineEntry, Tone};

#[derive(Clone, Debug)]
pub struct Card {
    title: String,
    blocks: Vec<t::Block>,
}

/// A button; pressing it calls [`crate::Plugin::action`] with its `action_id` and `value`.
#[derive(Clone, Debug)]
pub struct Button(t::Button);

impl Button {
    pub fn new(action_id: impl Into<String>, label: impl Into<String>) -> Self {
        Button(t::Button {
            action_id: action_id.into(),
            label: label.into(),
            style: t::ButtonStyle::Default,
            value: String::new(),
            confirm: None,
        })
    }
    pub fn primary(mut self) -> Self {
        self.0.style = t::ButtonStyle::Primary;
        self
    }
    pub fn danger(mut self) -> Self {
        self.0.style = t::ButtonStyle::Danger;
        self
    }
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.0.value = value.into();
        self
    }
    /// Asks the person to confirm first, with this question.
    pub fn confirm(mut self, question: impl Into<String>) -> Self {
        self.0.confirm = Some(question.into());
        self
    }
}

impl PersonRef {
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        PersonRef {
            id: id.into(),
            display_name: display_name.into(),
        }
    }
}

impl From<&crate::Person> for PersonRef {
    fn from(p: &crate::Person) -> Self {
        PersonRef::new(&p.id, &p.display_name)
    }
}

impl From<&crate::Actor> for PersonRef {
    fn from(a: &crate::Actor) -> Self {
        PersonRef::new(&a.id, &a.display_name)
    }
}

impl TimelineEntry {
    /// A step at `at_ms` (milliseconds since the Unix epoch), neutral and without detail
    /// until you say otherwise.
    pub fn new(at_ms: i64, title: impl Into<String>) -> Self {
        TimelineEntry {
            at_ms,
            title: title.into(),
            detail: String::new(),
            tone: Tone::Neutral,
        }
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

impl Card {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(t::Block::Text(text.into()));
        self
    }

    /// Adds a label/value pair; consecutive fields are shown together.
    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        let f = t::Field {
            label: label.into(),
            value: value.into(),
        };
        match self.blocks.last_mut() {
            Some(t::Block::Fields(fields)) => fields.push(f),
            _ => self.blocks.push(t::Block::Fields(vec![f])),
        }
        self
    }

    pub fn badge(mut self, text: impl Into<String>, tone: Tone) -> Self {
        self.blocks.push(t::Block::Badge(t::Badge {
            text: text.into(),
            tone,
        }));
        self
    }

    pub fn table(mut self, columns: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        self.blocks
            .push(t::Block::Table(t::Table { columns, rows }));
        self
    }

    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.blocks.push(t::Block::Image(url.into()));
        self
    }

    pub fn divider(mut self) -> Self {
        self.blocks.push(t::Block::Divider);
        self
    }

    /// Adds a button; consecutive buttons share a row.
    pub fn button(mut self, button: Button) -> Self {
        match self.blocks.last_mut() {
            Some(t::Block::Buttons(row)) => row.push(button.0),
            _ => self.blocks.push(t::Block::Buttons(vec![button.0])),
        }
        self
    }

    /// Adds a person (opening their profile card); consecutive people share a row.
    pub fn person(self, id: impl Into<String>, display_name: impl Into<String>) -> Self {
        self.people([PersonRef::new(id, display_name)])
    }

    /// Adds people (approvers, assignees…); joins a people row just before it.
    pub fn people(mut self, people: impl IntoIterator<Item = impl Into<PersonRef>>) -> Self {
        let people = people.into_iter().map(Into::into);
        match self.blocks.last_mut() {
            Some(t::Block::People(row)) => row.extend(people),
            _ => self.blocks.push(t::Block::People(people.collect())),
        }
        self
    }

    /// Adds a dated step (an approval's history, a shipment's milestones); consecutive steps
    /// form one timeline.
    pub fn timeline_entry(
        self,
        at_ms: i64,
        title: impl Into<String>,
        detail: impl Into<String>,
        tone: Tone,
    ) -> Self {
        self.timeline([TimelineEntry::new(at_ms, title).detail(detail).tone(tone)])
    }

    /// Adds steps; joins a timeline just before it.
    pub fn timeline(mut self, entries: impl IntoIterator<Item = TimelineEntry>) -> Self {
        match self.blocks.last_mut() {
            Some(t::Block::Timeline(list)) => list.extend(entries),
            _ => self
                .blocks
                .push(t::Block::Timeline(entries.into_iter().collect())),
        }
        self
    }

    /// Adds a form shown inline on the card; submitting it calls [`crate::Plugin::action`]
    /// with the form's id as the action id and the card's message id.
    pub fn form(mut self, form: Form) -> Self {
        self.blocks.push(t::Block::Form(form.into()));
        self
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// How many blocks the card has (the host allows 50).
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    #[doc(hidden)]
    pub fn into_wit(self) -> t::Card {
        self.into()
    }
}

impl From<Card> for t::Card {
    fn from(c: Card) -> Self {
        t::Card {
            title: c.title,
            blocks: c.blocks,
        }
    }
}

/// A page of the plugin (declared under `[[pages]]`): a title and a list of cards.
#[derive(Clone, Debug)]
pub struct Page {
    title: String,
    cards: Vec<Card>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            cards: Vec::new(),
        }
    }

    pub fn card(mut self, card: Card) -> Self {
        self.cards.push(card);
        self
    }

    pub fn cards(mut self, cards: impl IntoIterator<Item = Card>) -> Self {
        self.cards.extend(cards);
        self
    }
}

impl From<Page> for t::Page {
    fn from(p: Page) -> Self {
        t::Page {
            title: p.title,
            cards: p.cards.into_iter().map(Into::into).collect(),
        }
    }
}
