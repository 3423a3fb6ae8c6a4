package dev.allot.rules;

import java.util.Map;
import java.util.Set;

/**
 * The customer in front of the purchase page, as rules see it. Features are numbers (absent ones are null);
 * attributes are flags and labels sent by the app; campaigns are the concurrent campaigns the user is in.
 */
public final class Arrival {

    private final String city;
    private final String userId;
    private final String segment;
    private final Map<String, Double> features;
    private final Map<String, Object> attributes;
    private final Set<String> campaigns;

    public Arrival(String city, String userId, String segment, Map<String, Double> features,
                   Map<String, Object> attributes, Set<String> campaigns) {
        this.city = city;
        this.userId = userId;
        this.segment = segment == null ? "" : segment;
        this.features = Map.copyOf(features);
        this.attributes = Map.copyOf(attributes);
        this.campaigns = Set.copyOf(campaigns);
    }

    public String getCity() {
        return city;
    }

    public String getUserId() {
        return userId;
    }

    public String getSegment() {
        return segment;
    }

    public Map<String, Double> getFeatures() {
        return features;
    }

    public Map<String, Object> getAttributes() {
        return attributes;
    }

    public Set<String> getCampaigns() {
        return campaigns;
    }

    /** A feature's value, or {@code null} when the app did not send it. */
    public Double feature(String name) {
        return features.get(name);
    }

    /** An attribute's value as the app sent it (a string, number or boolean), or {@code null} when absent. */
    public Object attribute(String name) {
        return attributes.get(name);
    }

    /** Whether an attribute is the boolean {@code true} (absent counts as false). */
    public boolean isTrue(String attribute) {
        return Boolean.TRUE.equals(attributes.get(attribute));
    }

    public boolean hasCampaign(String campaign) {
        return campaigns.contains(campaign);
    }
}
