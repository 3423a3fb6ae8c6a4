package dev.allot.app.auth;

import java.util.EnumSet;
import java.util.Set;

/** Who is calling: the name the audit trail records, and the scopes the routes check. */
public record Identity(String name, Set<Scope> scopes) {

    public Identity {
        scopes = scopes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scopes));
    }

    public boolean may(Scope scope) {
        return scopes.contains(scope);
    }
}
