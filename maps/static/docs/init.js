// Swagger UI over the application's own OpenAPI document; every asset is served locally (no CDN).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
