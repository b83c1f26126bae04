export { extractInvoice, withModelFields, llmConfidence, sureAt, type Extraction, type DocumentInput, type DocumentKind, type TemplateLookup, type Tier } from "./extract.js";
export { emptyTemplate, learnFromReview, vendorTemplateSchema, correctionsToLearn, type VendorTemplate } from "./templates.js";
export { fieldNames, invoiceFieldsSchema, invoiceFieldsOf, sameValue, type FieldName, type InvoiceFields } from "./fields.js";
export { runChecks, validIban, validVatId, type CheckResult } from "./checks.js";
export { modelFieldsRequest, parseModelFields, type ModelFieldsRequest } from "./model-fields.js";
