package io.huiqi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How much a match answers (docs/operations.md, {@code match}): the detail level, whether
 * ineligible policies are listed too, a tag filter, a limit on each list, and whether
 * undetermined policies are recommended. Immutable; each {@code with…} gives a copy.
 *
 * <pre>{@code
 * MatchOptions o = MatchOptions.DEFAULT.detail(Detail.SUMMARY).limit(5).tags("科技创新");
 * }</pre>
 */
public final class MatchOptions {
    /** The detail levels of an answer. */
    public enum Detail {
        /** Counts, ids and verdicts only: the index's speed. */
        VERDICTS("verdicts"),
        /** Counts and the listed policies with their benefits, no explanation trees. */
        SUMMARY("summary"),
        /** Everything, with the explanation of each listed policy (the default). */
        FULL("full");

        final String wire;

        Detail(String wire) {
            this.wire = wire;
        }
    }

    /** The defaults: full detail, eligible and undetermined policies listed, no limit. */
    public static final MatchOptions DEFAULT = new MatchOptions(Detail.FULL, false, Collections.<String>emptyList(), null, false);

    private final Detail detail;
    private final boolean all;
    private final List<String> tags;
    private final Integer limit;
    private final boolean recommendUndetermined;

    private MatchOptions(Detail detail, boolean all, List<String> tags, Integer limit, boolean recommendUndetermined) {
        this.detail = detail;
        this.all = all;
        this.tags = tags;
        this.limit = limit;
        this.recommendUndetermined = recommendUndetermined;
    }

    public MatchOptions detail(Detail d) {
        if (d == null) {
            throw HuiqiException.request("options.detail", "detail is null");
        }
        return new MatchOptions(d, all, tags, limit, recommendUndetermined);
    }

    /** List ineligible policies too. */
    public MatchOptions all(boolean all) {
        return new MatchOptions(detail, all, tags, limit, recommendUndetermined);
    }

    /** Only policies with one of these tags. */
    public MatchOptions tags(String... tags) {
        if (tags == null) {
            throw HuiqiException.request("options.tags", "tags is null");
        }
        List<String> list = new ArrayList<>();
        for (String t : tags) {
            if (t == null) {
                throw HuiqiException.request("options.tags", "a tag is null");
            }
            list.add(t);
        }
        return new MatchOptions(detail, all, Collections.unmodifiableList(list), limit, recommendUndetermined);
    }

    /** Only policies with one of these tags. */
    public MatchOptions tags(Collection<String> tags) {
        if (tags == null) {
            throw HuiqiException.request("options.tags", "tags is null");
        }
        return tags(tags.toArray(new String[0]));
    }

    /** At most {@code limit} policies in each list (null: all). */
    public MatchOptions limit(Integer limit) {
        if (limit != null && limit < 0) {
            throw HuiqiException.request("options.limit", "limit must be a non-negative number or null, not " + limit);
        }
        return new MatchOptions(detail, all, tags, limit, recommendUndetermined);
    }

    /** Recommend undetermined policies (with what is missing) beside the eligible ones. */
    public MatchOptions recommendUndetermined(boolean r) {
        return new MatchOptions(detail, all, tags, limit, r);
    }

    /** The options as the engine reads them; null for the defaults. */
    String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        if (detail != Detail.FULL) o.put("detail", detail.wire);
        if (all) o.put("all", true);
        if (!tags.isEmpty()) o.put("tags", tags);
        if (limit != null) o.put("limit", limit);
        if (recommendUndetermined) o.put("recommend_undetermined", true);
        return o.isEmpty() ? null : Json.write(o);
    }

    @Override
    public String toString() {
        String json = toJson();
        return json == null ? "{}" : json;
    }
}
