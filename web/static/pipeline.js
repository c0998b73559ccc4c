// Pipeline's one script: starts GOV.UK Frontend's components, and turns the organisation
// <select> on the sign-up and profile forms into an accessible autocomplete. Every page works
// without it (progressive enhancement).
import { initAll } from './vendor/govuk-frontend.min.js'

initAll()

for (const select of document.querySelectorAll('select[data-autocomplete]')) {
  if (window.accessibleAutocomplete) {
    window.accessibleAutocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: false,
      dropdownArrow: () => ''
    })
  }
}
