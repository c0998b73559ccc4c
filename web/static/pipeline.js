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
