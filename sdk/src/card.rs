//! Card builder: `Card::new("Title").text("…").field("Amount", "¥1,200").button(…)`.

use crate::bindings::courtyard::plugin::types as t;

pub use t::Tone;

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

    #[doc(hidden)]
    pub fn into_wit(self) -> t::Card {
        t::Card {
            title: self.title,
            blocks: self.blocks,
        }
    }
}
