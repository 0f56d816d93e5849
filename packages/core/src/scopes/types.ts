/** A scope definition (PARITY S1, Passport's `tokensCan`). */
export interface ScopeDefinition {
  id: string;
  description: string;
}
