//! The language selector in the top bar.

use yew::prelude::*;

use crate::i18n::{t, Lang};
use crate::model::Msg;
use crate::web::{dom, lang};

#[derive(Properties, PartialEq)]
pub struct LanguagePickerProps {
    pub lang: Lang,
    pub send: Callback<Msg>,
}

#[function_component(LanguagePicker)]
pub fn language_picker(props: &LanguagePickerProps) -> Html {
    let onchange = {
        let send = props.send.clone();
        Callback::from(move |e: Event| {
            if let Some(lang) = Lang::from_tag(&dom::target_value(&e)) {
                lang::remember(lang);
                send.emit(Msg::SetLanguage(lang));
            }
        })
    };
    html! {
        <label class="field-inline lang-picker" title={t("Interface language")}>
            <span class="visually-hidden">{t("Language")}</span>
            <select id="language" {onchange} aria-label={t("Interface language")}>
                { for Lang::ALL.iter().map(|l| html! {
                    <option value={l.code()} selected={*l == props.lang} lang={l.code()}>
                        {l.native_name()}
                    </option>
                }) }
            </select>
        </label>
    }
}
