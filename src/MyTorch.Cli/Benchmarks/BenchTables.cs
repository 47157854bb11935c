using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace MyTorch.Cli.Benchmarks;

/// <summary>The bench report as Spectre tables, for a terminal; the JSON object is the source of every figure.</summary>
public static class BenchTables
{
    /// <summary>Writes a table per part that the report holds.</summary>
    public static void Write(IAnsiConsole console, JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        if (report["machine"] is JsonObject machine)
            console.MarkupLine($"[grey]{Markup.Escape($"{machine["cpu"]}, {machine["logical_processors"]} logical processors, {machine["runtime"]}, MyTorch {machine["library_build"]} build")}[/]");

        if (report["gemm"] is JsonArray gemm)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]SGEMM GFLOP/s[/] (Gemm.Multiply<float>)");
            bool paired = gemm.OfType<JsonObject>().Any(r => r["paired_reference"] is JsonObject);
            table.AddColumns("shape (op m x k x n)", "role", "threads", "median", "best", "spread");
            if (paired) table.AddColumns("reference median", "paired ratio (median)");
            foreach (var row in gemm.OfType<JsonObject>())
            {
                var g = (JsonObject)row["gflops"]!;
                var cells = new List<string> { Text(row["name"]), Text(row["role"]), Text(row["threads"]), Number(g["median"], "F1"), Number(g["best"], "F1"), Percent(g["spread_pct"]) };
                if (paired && row["paired_reference"] is JsonObject p)
                    cells.AddRange([Number(p["gflops"]?["median"], "F1"), Number(p["ratio"]?["median"], "F2") + "x"]);
                else if (paired)
                    cells.AddRange(["", ""]);
                table.AddRow([.. cells]);
            }
            console.Write(table);
        }

        if (report["train"] is JsonObject train)
        {
            var rate = (JsonObject)train["samples_per_second"]!;
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]MLP training[/] ({Markup.Escape(Text(train["layers"]))}, batch {train["batch_size"]}, {Markup.Escape(Text(train["dataset"]))})");
            table.AddColumns("measure", "value");
            table.AddRow("samples/s (median)", Number(rate["median"], "N0"));
            table.AddRow("samples/s (best)", Number(rate["best"], "N0"));
            table.AddRow("spread", Percent(rate["spread_pct"]));
            table.AddRow("ms per step (median)", Number(train["step_ms_median"], "F3"));
            AddAllocations(table, "step with loader", train["allocations"] as JsonObject);
            AddAllocations(table, "step only", train["allocations_step_only"] as JsonObject);
            if (train["accuracy"] is JsonObject accuracy)
                table.AddRow($"test accuracy after {accuracy["epochs"]} epochs", Number(accuracy["test_accuracy"], "P2"));
            console.Write(table);
        }

        if (report["inference"] is JsonArray inference)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]Inference[/] (forward only, eval mode, no grad)");
            table.AddColumns("batch", "path", "samples/s (median)", "best", "spread", "GFLOP/s", "latency µs", "bytes/call");
            foreach (var row in inference.OfType<JsonObject>())
            {
                var r = (JsonObject)row["samples_per_second"]!;
                table.AddRow(Text(row["batch"]), Text(row["path"]), Number(r["median"], "N0"), Number(r["best"], "N0"), Percent(r["spread_pct"]),
                    Number(r["median"]?.GetValue<double>() * row["flops_per_sample"]?.GetValue<double>() / 1e9, "F1"),
                    Number(row["latency_us_median"], "F1"), Number(row["bytes_per_call_all_threads"], "N0"));
            }
            console.Write(table);
        }

        if (report["core_checks"] is JsonArray checks && checks.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .Title("[bold]Core check[/] (FMA throughput of all threads against one: about the thread count on whole cores; the best is the FMA ceiling)");
            table.AddColumns("when", "threads", "scaling (median)", "worst", "best", "samples on whole cores", "1-thread GFLOP/s", "all threads (best)", "vector bits");
            foreach (var check in checks.OfType<JsonObject>())
            {
                var scaling = (JsonObject)check["scaling"]!;
                table.AddRow(Text(check["when"]), Text(check["threads"]), Number(scaling["median"], "F2") + "x", Number(scaling["worst"], "F2") + "x",
                    Number(scaling["best"], "F2") + "x", Number(check["whole_cores_share"]?.GetValue<double>() * 100, "F0") + "%", Number(check["one_thread_gflops_median"], "F1"),
                    Number(check["all_threads_gflops_best"], "F1"), Text(check["vector_bits"]));
            }
            console.Write(table);
        }

        var summary = new Table().Border(TableBorder.Rounded).Title("[bold]Start-up and memory[/]");
        summary.AddColumns("measure", "value");
        if (report["startup"] is JsonObject startup)
        {
            summary.AddRow("process start to command (ms)", Number(startup["process_to_command_ms"], "N0"));
            summary.AddRow("data loaded + model built (ms)", Number(startup["data_and_model_ms"], "N0"));
            summary.AddRow("process start to ready (ms)", Number(startup["process_to_ready_ms"], "N0"));
        }
        if (report["memory"] is JsonObject memory)
            summary.AddRow("peak working set (MiB)", Number(memory["peak_working_set_bytes"]?.GetValue<long>() / 1048576.0, "F1"));
        console.Write(summary);
    }

    private static void AddAllocations(Table table, string label, JsonObject? allocations)
    {
        if (allocations is null) return;
        table.AddRow($"bytes/step, {label} (all threads)", Number(allocations["bytes_per_step_all_threads"], "N0"));
        table.AddRow($"gen-0 collections in {allocations["steps"]} steps, {label}", Text(allocations["gen0_collections"]));
    }

    private static string Text(JsonNode? node) => node?.ToString() ?? "";

    private static string Number(JsonNode? node, string format) =>
        node is null ? "" : node.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);

    private static string Number(double? value, string format) =>
        value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "";

    private static string Percent(JsonNode? node) => node is null ? "" : $"±{node.GetValue<double>() / 2:F1}%";
}
