package example.greet;

/** The example's runtime dependency: what the server answers with. */
public final class Greet {
    private Greet() {}

    public static String greeting(String name) {
        return "hello from java, " + name;
    }

    /** {"count":N,"mean":M,"pstdev":S} for the values (population standard deviation). */
    public static String statsJson(double[] values) {
        int n = values.length;
        double mean = 0, var = 0;
        for (double v : values) mean += v;
        if (n > 0) mean /= n;
        for (double v : values) var += (v - mean) * (v - mean);
        double pstdev = n > 0 ? Math.sqrt(var / n) : 0;
        return "{\"count\":" + n + ",\"mean\":" + num(mean) + ",\"pstdev\":" + num(pstdev) + "}";
    }

    private static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
