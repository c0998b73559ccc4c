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

// A text field with suggestions (the tag on the find page): the plain field works without
// JavaScript; with it, accessible-autocomplete suggests the values the wrapper's data-suggest
// attribute lists (JSON). What is typed is sent as it is, chosen from the list or not.
for (const wrapper of document.querySelectorAll('[data-suggest]')) {
  const input = wrapper.querySelector('input')
  if (!window.accessibleAutocomplete || !input) continue
  const values = JSON.parse(wrapper.dataset.suggest || '[]')
  const holder = document.createElement('div')
  input.replaceWith(holder)
  window.accessibleAutocomplete({
    element: holder,
    id: input.id,
    name: input.name,
    defaultValue: input.value,
    minLength: 1,
    showNoOptionsFound: false,
    source: (query, answer) => {
      const typed = query.trim().toLowerCase()
      answer(values.filter((value) => value.includes(typed)).slice(0, 10))
    },
    templates: { inputValue: (value) => value ?? '', suggestion: asText }
  })
}
