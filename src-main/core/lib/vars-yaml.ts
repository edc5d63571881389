import { type Document, parseDocument } from 'yaml';

/**
 * vars.yml parsed the way the lint reads it: a repeated key is no error (Ansible takes the last), an error
 * carries its line. A plan parses the text it deploys once and hands the document to both the edit's check
 * and the lint; neither changes it (the edits splice the text, never a document), so sharing it is safe.
 */
export type VarsDocument = Document.Parsed;

export function parseVars(text: string): VarsDocument {
  return parseDocument(text, { uniqueKeys: false });
}
