// Pipeline's one script: starts GOV.UK Frontend's components, and turns the organisation
// <select> on the sign-up and profile forms into an accessible autocomplete. Every page works
// without it (progressive enhancement).
import { initAll } from './vendor/govuk-frontend.min.js'

initAll()

// accessible-autocomplete puts a suggestion's text into the list as HTML: organisation names
// are typed by people, so each is escaped first (shown as text, never as markup).
const asText = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

for (const select of document.querySelectorAll('select[data-autocomplete]')) {
  if (window.accessibleAutocomplete) {
    window.accessibleAutocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: false,
      dropdownArrow: () => '',
      templates: { inputValue: (value) => value ?? '', suggestion: asText }
    })
  }
}

// A text field with suggestions (the tag on the find page, the tags on the project form): the
// plain field works without JavaScript; with it, accessible-autocomplete suggests the values
// the wrapper's data-suggest attribute lists (JSON). What is typed is sent as it is, chosen from
// the list or not. With data-suggest-list the field holds several values separated by commas
// (the project's tags): only the one being typed, after the last comma, is completed, and the
// ones before it are kept. The field's hint and error message, which the replaced input was
// described by, are read out as the autocomplete's hint, and an error keeps its red border.
const described = (input) =>
  (input.getAttribute('aria-describedby') || '')
    .split(/\s+/)
    .map((id) => document.getElementById(id))
    .filter(Boolean)
    .map((element) => element.textContent.trim())
    .join('. ')

const lastPart = (value) => {
  const cut = value.lastIndexOf(',')
  return cut === -1 ? ['', value] : [value.slice(0, cut + 1) + ' ', value.slice(cut + 1)]
}

for (const wrapper of document.querySelectorAll('[data-suggest]')) {
  const input = wrapper.querySelector('input')
  if (!window.accessibleAutocomplete || !input) continue
  const values = JSON.parse(wrapper.dataset.suggest || '[]')
  const list = wrapper.hasAttribute('data-suggest-list')
  const said = described(input)
  const holder = document.createElement('div')
  input.replaceWith(holder)
  window.accessibleAutocomplete({
    element: holder,
    id: input.id,
    name: input.name,
    defaultValue: input.value,
    minLength: 1,
    showNoOptionsFound: false,
    inputClasses: input.classList.contains('govuk-input--error') ? 'govuk-input--error' : null,
    tAssistiveHint: () => [said, 'When suggestions are available, use up and down arrows to choose one'].filter(Boolean).join('. '),
    source: (query, answer) => {
      const [kept, typing] = list ? lastPart(query) : ['', query]
      const typed = typing.trim().toLowerCase()
      if (!typed) return answer([])
      const chosen = kept.split(',').map((value) => value.trim().toLowerCase())
      // most used first, as listed, but the values that start with what is typed before the
      // ones that only contain it
      const found = values.filter((value) => value.includes(typed) && !chosen.includes(value))
      const ranked = found.filter((value) => value.startsWith(typed)).concat(found.filter((value) => !value.startsWith(typed)))
      answer(ranked.slice(0, 10).map((value) => kept + value))
    },
    templates: {
      inputValue: (value) => value ?? '',
      suggestion: (value) => asText(list ? lastPart(String(value ?? ''))[1] : value)
    }
  })
}
