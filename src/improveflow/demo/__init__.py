"""`improveflow demo`: a whole council on one machine, with its email on a page."""
