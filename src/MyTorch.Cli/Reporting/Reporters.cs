using System.Globalization;
using MyTorch.Cli.Training;
using MyTorch.NN;
using Spectre.Console;

namespace MyTorch.Cli.Reporting;

/// <summary>Plain progress lines, one per epoch: for logs, pipes and --json runs.</summary>
public sealed class PlainReporter(TextWriter output) : ITrainingReporter
{
    /// <inheritdoc/>
    public void Start(TrainConfig config, PreparedData data, Module model, int epochsDone)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        string resuming = epochsDone > 0 ? string.Create(CultureInfo.InvariantCulture, $"; resuming after epoch {epochsDone}") : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data: {MyTorch.IO.MessageText.Clean(data.Source, 200)} ({data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test); model: {ModelFactory.Describe(config, data.Inputs, ModelFactory.Outputs(config, data.Classes))}, {model.ParameterCount():N0} parameters; optimizer {config.Optimizer} lr {config.EffectiveLearningRate}; seed {config.Seed}{resuming}"));
    }

    /// <inheritdoc/>
    public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond) { }

    /// <inheritdoc/>
    public void Epoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {record.Epoch}: train loss {record.TrainLoss:F4} error {record.TrainError:F4} | " +
            $"validation loss {record.ValidationLoss:F4} error {record.ValidationError:F4} | {record.SamplesPerSecond:F0} samples/s"));
    }

    /// <inheritdoc/>
    public void Finish() => output.Flush();
}

/// <summary>A live Spectre.Console display: one progress bar per epoch with loss, error, samples/s and time left.</summary>
public sealed class LiveReporter : ITrainingReporter, IDisposable
{
    private readonly IAnsiConsole console;
    private readonly ManualResetEventSlim done = new();
    private readonly object gate = new();
    private Thread? thread;
    private ProgressContext? context;
    private ProgressTask? current;
    private int totalEpochs;
    private long lastRefresh;

    /// <summary>Creates the display on <paramref name="console"/>.</summary>
    public LiveReporter(IAnsiConsole console) => this.console = console;

    /// <inheritdoc/>
    public void Start(TrainConfig config, PreparedData data, Module model, int epochsDone)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        totalEpochs = config.Epochs;
        console.MarkupLineInterpolated(
            $"[bold]MyTorch[/] training on [blue]{MyTorch.IO.MessageText.Clean(data.Source, 200)}[/]: {data.Train.Count} train / {data.Validation.Count} validation / {data.Test.Count} test");
        console.MarkupLineInterpolated(
            $"model {data.Inputs}-{string.Join('-', config.Hidden)}-{ModelFactory.Outputs(config, data.Classes)} ({config.Activation}), {model.ParameterCount():N0} parameters; {config.Optimizer} lr {config.EffectiveLearningRate}; seed {config.Seed}");
        if (epochsDone > 0) console.MarkupLineInterpolated($"resuming after epoch {epochsDone}");
        var ready = new ManualResetEventSlim();
        // Spectre's progress display runs its own refresh loop; training reports into it from this thread.
        thread = new Thread(() =>
        {
            console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    lock (gate) context = ctx;
                    ready.Set();
                    done.Wait();
                });
        }) { IsBackground = true, Name = "progress" };
        thread.Start();
        ready.Wait();
    }

    /// <inheritdoc/>
    public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond)
    {
        lock (gate)
        {
            if (context is null) return;
            if (current is null)
                current = context.AddTask(Describe(epoch, loss, errorRate, samplesPerSecond), maxValue: batches);
            current.Value = batch;
            long now = Environment.TickCount64;
            if (now - lastRefresh > 100 || batch == batches)
            {
                current.Description = Describe(epoch, loss, errorRate, samplesPerSecond);
                lastRefresh = now;
            }
        }
    }

    private string Describe(int epoch, double loss, double error, double samplesPerSecond) =>
        string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(totalEpochs.ToString(CultureInfo.InvariantCulture).Length)}/{totalEpochs}  loss [yellow]{loss:F4}[/]  error [yellow]{error:F4}[/]  [grey]{samplesPerSecond:F0} samples/s[/]");

    /// <inheritdoc/>
    public void Epoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            if (current is not null)
            {
                current.Description = string.Create(CultureInfo.InvariantCulture,
                    $"epoch {record.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(totalEpochs.ToString(CultureInfo.InvariantCulture).Length)}/{totalEpochs}  loss [yellow]{record.TrainLoss:F4}[/]  error [yellow]{record.TrainError:F4}[/]  val loss [green]{record.ValidationLoss:F4}[/]  val error [green]{record.ValidationError:F4}[/]  [grey]{record.SamplesPerSecond:F0} samples/s[/]");
                current.StopTask();
            }
            current = null;
        }
    }

    /// <inheritdoc/>
    public void Finish()
    {
        done.Set();
        thread?.Join();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Finish();
        done.Dispose();
    }
}
