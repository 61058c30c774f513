//! The two languages every user-facing text comes in, English and Simplified Chinese, and
//! [`Text`]: a builder-written text (title, label, option, help) held in both.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The language of a message, label or export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    Zh,
}

impl Lang {
    /// `zh`, `zh-CN`, `zh_Hans`… → Chinese; anything else → English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("zh"))
        {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    /// One of two texts.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// A text in English and Chinese. Serialised as `{"en": …, "zh": …}`; read from that, from
/// `{"en": …, "zh-CN": …}`, or from a plain string (a builder who writes in one language
/// writes the same text for both). Shown with [`Text::get`], which falls back to the other
/// language when one is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The same text in both languages (a name, a number).
    pub fn same(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            en: text.clone(),
            zh: text,
        }
    }

    /// The text for `lang`, or the other language's when this one is blank.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::En => (&self.en, &self.zh),
            Lang::Zh => (&self.zh, &self.en),
        };
        if first.trim().is_empty() {
            second
        } else {
            first
        }
    }

    /// Whether both languages are blank.
    pub fn is_blank(&self) -> bool {
        self.en.trim().is_empty() && self.zh.trim().is_empty()
    }

    /// The longer of the two, in characters (what limits are checked against).
    pub fn chars(&self) -> usize {
        self.en.chars().count().max(self.zh.chars().count())
    }

    /// Whether either language holds a control character (line breaks allowed when
    /// `multiline`).
    pub fn has_control(&self, multiline: bool) -> bool {
        [&self.en, &self.zh].iter().any(|s| {
            s.chars()
                .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        })
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Text::same(s)),
            Value::Null => Ok(Text::default()),
            Value::Object(m) => {
                let get = |keys: &[&str]| -> Result<String, D::Error> {
                    for k in keys {
                        match m.get(*k) {
                            None | Some(Value::Null) => {}
                            Some(Value::String(s)) => return Ok(s.clone()),
                            Some(_) => {
                                return Err(D::Error::custom(format!("`{k}` must be a string")));
                            }
                        }
                    }
                    Ok(String::new())
                };
                Ok(Text {
                    en: get(&["en"])?,
                    zh: get(&["zh", "zh-CN", "zh_CN"])?,
                })
            }
            _ => Err(D::Error::custom(
                "a text is a string or {\"en\": …, \"zh\": …}",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locales() {
        assert_eq!(Lang::from_locale("zh-CN"), Lang::Zh);
        assert_eq!(Lang::from_locale("ZH_hans"), Lang::Zh);
        assert_eq!(Lang::from_locale("en-GB"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
        assert_eq!(Lang::from_locale("中文"), Lang::En);
        assert_eq!(Lang::Zh.pick("a", "b"), "b");
        assert_eq!(Lang::En.pick("a", "b"), "a");
    }

    #[test]
    fn texts_read_every_shape_and_fall_back() {
        let t: Text = serde_json::from_value(json!("日报")).unwrap();
        assert_eq!(t, Text::same("日报"));
        let t: Text = serde_json::from_value(json!({"en": "Daily", "zh-CN": "日报"})).unwrap();
        assert_eq!(t, Text::new("Daily", "日报"));
        let t: Text = serde_json::from_value(json!({"en": "Daily", "zh": ""})).unwrap();
        assert_eq!(t.get(Lang::Zh), "Daily");
        assert_eq!(t.get(Lang::En), "Daily");
        assert!(serde_json::from_value::<Text>(json!(3)).is_err());
        assert!(serde_json::from_value::<Text>(json!({"en": 3})).is_err());
        assert_eq!(
            serde_json::to_value(Text::new("a", "甲")).unwrap(),
            json!({"en": "a", "zh": "甲"})
        );
        assert!(Text::new(" ", "").is_blank());
        assert_eq!(Text::new("ab", "甲乙丙").chars(), 3);
        assert!(Text::new("a\nb", "").has_control(false));
        assert!(!Text::new("a\nb", "").has_control(true));
    }
}
