package dev.allot.rules;

import org.kie.api.io.ResourceType;
import org.kie.internal.utils.KieHelper;

import java.util.Map;

/**
 * Builds a rule set straight from DRL, around the sandbox: only tests of the runtime walls (firing bound, error
 * counting) need rules the sandbox would refuse.
 */
final class Unsandboxed {

    private Unsandboxed() {
    }

    static RuleSet compile(Map<String, String> files, String... extra) {
        KieHelper helper = new KieHelper();
        files.values().forEach(drl -> helper.addContent(drl, ResourceType.DRL));
        for (String drl : extra) {
            helper.addContent(drl, ResourceType.DRL);
        }
        return RuleSet.of("unsandboxed", files, helper.build(), RuleHealth.Policy.DEFAULT);
    }
}
