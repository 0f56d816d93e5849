/** A scope definition (Passport's `tokensCan`). */
export interface ScopeDefinition {
  id: string;
  description: string;
}
