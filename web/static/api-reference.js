// The API reference page (/api/reference): Swagger UI, served from /assets like the GOV.UK
// assets (never a CDN), reading the OpenAPI document the app generates.
window.addEventListener('DOMContentLoaded', function () {
  const root = document.getElementById('reference')
  window.SwaggerUIBundle({ url: root.dataset.openapi, domNode: root, deepLinking: true })
})
