import io.huiqi.Engine;
import io.huiqi.Huiqi;
import io.huiqi.Store;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Spark job in Java, no Python: every enterprise of a Parquet dataset against every policy,
 * counted per policy, through the Java binding in the executors' JVMs ({@code mapPartitions}).
 *
 * <pre>
 *   spark-submit --master spark://127.0.0.1:7077 --class JavaBulkJob \
 *       --jars target/java/huiqi.jar target/java/spark-job.jar \
 *       --input enterprises.parquet --as-of 2026-06-30 [--policies DIR] [--mode files|dataframe] \
 *       [--output counts.parquet] [--counts counts.csv] [--tasks N] [--chunk-rows N] [--repeat N] [--pairs-per-run N]
 * </pre>
 *
 * Two ways in, as the Python jobs have them:
 * <ul>
 *   <li>{@code --mode files} (default): the driver reads the Parquet footers
 *       ({@link Huiqi#parquetRowGroups}) and cuts the files into about {@code --tasks} units of
 *       whole row groups; each task opens its units straight into an enterprise store
 *       ({@link Engine#openParquet}, only the columns the policies read), so the rows never
 *       pass through Spark's row format. The paths must be readable by the executors
 *       (a local or mounted file system).</li>
 *   <li>{@code --mode dataframe}: Spark reads the data (any source); each partition's rows
 *       go to stores as JSON lines, {@code --chunk-rows} (20,000) at a time
 *       ({@code Dataset.toJSON}, a struct column keyed by year read as a per-year field).</li>
 * </ul>
 * Each executor JVM builds one engine and keeps it for every task. The counts of the tasks
 * are summed by Spark and written to Parquet ({@code --output}); {@code --counts} also
 * writes them as CSV sorted by policy ({@code huiqi bulk --format counts}'s rows), after
 * the clock. Each run is timed from the job's start to the write's end and printed.
 */
public final class JavaBulkJob {
    private JavaBulkJob() {}

    /** Whole row groups of one file: a task's work. */
    static final class Unit implements Serializable {
        private static final long serialVersionUID = 1L;
        final String file;
        final int[] groups;

        Unit(String file, int[] groups) {
            this.file = file;
            this.groups = groups;
        }
    }

    /** One engine per executor JVM and policy folder, built on first use and kept. */
    private static final Map<String, Engine> ENGINES = new HashMap<>();

    static synchronized Engine engine(String policies) {
        String key = policies == null ? "" : policies;
        Engine e = ENGINES.get(key);
        if (e == null) {
            e = policies == null ? Engine.bundled() : Engine.fromPath(Paths.get(policies));
            ENGINES.put(key, e);
        }
        return e;
    }

    static final StructType COUNTS = new StructType()
            .add("policy_id", DataTypes.StringType)
            .add("eligible", DataTypes.LongType)
            .add("undetermined", DataTypes.LongType);

    /** A store's counts as rows. */
    static void counts(Engine engine, Store store, String asOf, List<Row> out) {
        for (Map<String, Object> c : engine.bulkCounts(store, asOf)) {
            out.add(RowFactory.create(c.get("policy"), c.get("eligible"), c.get("undetermined")));
        }
    }

    /** The Parquet files of {@code input} (a file, or a folder of {@code *.parquet}), in name order. */
    static List<Path> files(Path input) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(input)) {
            try (DirectoryStream<Path> d = Files.newDirectoryStream(input, "*.parquet")) {
                d.forEach(out::add);
            }
            Collections.sort(out);
        } else {
            out.add(input);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no .parquet files in " + input);
        }
        return out;
    }

    /** The files cut into about {@code tasks} units of whole row groups of one file, of about equal rows. */
    static List<Unit> units(List<Path> files, int tasks) {
        List<String> groupFile = new ArrayList<>();
        List<Integer> groupIndex = new ArrayList<>();
        List<Long> groupRows = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            long[] rows = Huiqi.parquetRowGroups(f);
            for (int g = 0; g < rows.length; g++) {
                groupFile.add(f.toAbsolutePath().toString());
                groupIndex.add(g);
                groupRows.add(rows[g]);
                total += rows[g];
            }
        }
        long target = Math.max(1, (total + tasks - 1) / Math.max(1, tasks));
        List<Unit> units = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        String file = null;
        long rows = 0;
        for (int i = 0; i < groupFile.size(); i++) {
            if (file != null && file.equals(groupFile.get(i)) && rows + groupRows.get(i) <= target) {
                current.add(groupIndex.get(i));
                rows += groupRows.get(i);
            } else {
                if (file != null) {
                    units.add(new Unit(file, current.stream().mapToInt(Integer::intValue).toArray()));
                }
                file = groupFile.get(i);
                current = new ArrayList<>();
                current.add(groupIndex.get(i));
                rows = groupRows.get(i);
            }
        }
        if (file != null) {
            units.add(new Unit(file, current.stream().mapToInt(Integer::intValue).toArray()));
        }
        return units;
    }

    /** The tasks read their row groups themselves. */
    static Dataset<Row> filesJob(SparkSession spark, List<Unit> units, String policies, String asOf) {
        MapPartitionsFunction<Long, Row> run = it -> {
            Engine engine = engine(policies);
            List<Row> out = new ArrayList<>();
            while (it.hasNext()) {
                Unit u = units.get(it.next().intValue());
                try (Store store = engine.openParquet(Paths.get(u.file), u.groups, false)) {
                    counts(engine, store, asOf, out);
                }
            }
            return out.iterator();
        };
        Dataset<Row> partial = spark.range(0, units.size(), 1, Math.max(1, units.size())).mapPartitions(run, Encoders.row(COUNTS));
        return summed(partial);
    }

    /**
     * Spark reads the data; each partition's rows become stores through JSON lines, at most
     * {@code chunk} rows at a time (a partition of Spark's may hold millions), the counts
     * of its stores summed per policy.
     */
    static Dataset<Row> dataframeJob(SparkSession spark, String input, String policies, String asOf, int chunk) {
        MapPartitionsFunction<String, Row> run = (Iterator<String> it) -> {
            Engine engine = engine(policies);
            Map<String, long[]> sums = new java.util.LinkedHashMap<>();
            StringBuilder lines = new StringBuilder();
            int rows = 0;
            while (true) {
                boolean more = it.hasNext();
                if (more) {
                    lines.append(it.next()).append('\n');
                    rows++;
                }
                if (rows > 0 && (rows >= chunk || !more)) {
                    try (Store store = engine.storeFromJsonLines(lines.toString())) {
                        for (Map<String, Object> c : engine.bulkCounts(store, asOf)) {
                            long[] sum = sums.computeIfAbsent((String) c.get("policy"), k -> new long[2]);
                            sum[0] += (Long) c.get("eligible");
                            sum[1] += (Long) c.get("undetermined");
                        }
                    }
                    lines.setLength(0);
                    rows = 0;
                }
                if (!more) {
                    break;
                }
            }
            List<Row> out = new ArrayList<>();
            for (Map.Entry<String, long[]> e : sums.entrySet()) {
                out.add(RowFactory.create(e.getKey(), e.getValue()[0], e.getValue()[1]));
            }
            return out.iterator();
        };
        Dataset<Row> partial = spark.read().parquet(input).toJSON().mapPartitions(run, Encoders.row(COUNTS));
        return summed(partial);
    }

    static Dataset<Row> summed(Dataset<Row> partial) {
        return partial.groupBy("policy_id").agg(functions.sum("eligible").alias("eligible"), functions.sum("undetermined").alias("undetermined"));
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value pairs, found " + args[i]);
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0 || !a.containsKey("input") || !a.containsKey("as-of")) {
            System.err.println("usage: JavaBulkJob --input PARQUET --as-of YYYY-MM-DD [--policies DIR] [--mode files|dataframe] "
                    + "[--output OUT.parquet] [--counts OUT.csv] [--tasks N] [--chunk-rows N] [--repeat N] [--pairs-per-run N]");
            System.exit(2);
        }
        String input = a.get("input");
        String asOf = a.get("as-of");
        String policies = a.get("policies");
        String mode = a.getOrDefault("mode", "files");
        int repeat = Integer.parseInt(a.getOrDefault("repeat", "1"));
        long pairs = Long.parseLong(a.getOrDefault("pairs-per-run", "0"));
        SparkSession spark = SparkSession.builder().appName("huiqi-java-bulk").getOrCreate();
        int tasks = Integer.parseInt(a.getOrDefault("tasks", String.valueOf(2 * spark.sparkContext().defaultParallelism())));
        Dataset<Row> last = null;
        for (int r = 0; r < repeat; r++) {
            long t = System.nanoTime();
            Dataset<Row> counts;
            if ("files".equals(mode)) {
                counts = filesJob(spark, units(files(Paths.get(input)), tasks), policies, asOf);
            } else if ("dataframe".equals(mode)) {
                counts = dataframeJob(spark, input, policies, asOf, Integer.parseInt(a.getOrDefault("chunk-rows", "20000")));
            } else {
                throw new IllegalArgumentException("--mode is files or dataframe, not " + mode);
            }
            if (a.containsKey("output")) {
                counts.write().mode("overwrite").parquet(a.get("output"));
            } else {
                counts.collectAsList();
            }
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("java %s run %d: %.2f s%s%n", mode, r + 1, s, pairs > 0 ? String.format(" = %.3e pairs/s", pairs / s) : "");
            last = counts;
        }
        if (a.containsKey("counts") && last != null) {
            Dataset<Row> again = a.containsKey("output") ? spark.read().parquet(a.get("output")) : last;
            List<String> rows = new ArrayList<>();
            for (Row row : again.collectAsList()) {
                rows.add(row.getString(0) + "," + row.getLong(1) + "," + row.getLong(2));
            }
            Collections.sort(rows);
            Path out = Paths.get(a.get("counts"));
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
            Files.write(tmp, ("policy_id,eligible,undetermined\n" + String.join("\n", rows) + "\n").getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        spark.stop();
    }
}
