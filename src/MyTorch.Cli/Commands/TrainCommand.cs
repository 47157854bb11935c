using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MyTorch.Cli.Reporting;
using MyTorch.Cli.Training;
using MyTorch.IO;
using MyTorch.Kernels;
using Spectre.Console;

namespace MyTorch.Cli.Commands;

/// <summary><c>mytorch train</c>: trains a network, showing progress, and writes the model, metrics, curves and checkpoints.</summary>
public static class TrainCommand
{
    private static readonly Option<string> DataOption = new("--data")
    {
        Description = "mnist (the shipped digits), fashion-mnist (/usr/share/datasets/fashion-mnist), a folder with the four IDX files, or a .csv file",
        DefaultValueFactory = _ => "mnist",
    };
    private static readonly Option<string> TaskOption = Choice("--task", "classification or regression", "classification", "classification", "regression");
    private static readonly Option<string> ModelOption = new("--model")
    {
        Description = "network: mlp (from --hidden, --activation, --batchnorm, --dropout), lenet5, cnn, or a layer list such as " +
            "conv:32:3:p=1,relu,maxpool:2,flatten,linear (docs/cli.md)",
        DefaultValueFactory = _ => "mlp",
    };
    private static readonly Option<int[]> HiddenOption = new("--hidden")
    {
        Description = "hidden layer sizes, comma-separated (an empty string for none)",
        CustomParser = ParseSizes,
        DefaultValueFactory = _ => [256, 128],
    };
    private static readonly Option<string> ActivationOption =
        Choice("--activation", "hidden activation", "relu", [.. MyTorch.NN.ActivationModules.Names]);
    private static readonly Option<int> BatchNormOption = new("--batchnorm") { Description = "number of hidden layers (from the input) followed by BatchNorm" };
    private static readonly Option<double> DropoutOption = new("--dropout") { Description = "dropout probability after each hidden activation" };
    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "number of epochs (default 10; with --resume, the total to reach)" };
    private static readonly Option<int> BatchSizeOption = new("--batch-size") { Description = "mini-batch size", DefaultValueFactory = _ => 64 };
    private static readonly Option<double?> LearningRateOption = new("--lr") { Description = "learning rate (default 0.05 for sgd, 0.001 for adam and adamw, 0.01 for rmsprop and adagrad)" };
    private static readonly Option<double> MomentumOption = new("--momentum") { Description = "SGD momentum (seed 004's rule)", DefaultValueFactory = _ => 0.9 };
    private static readonly Option<string> OptimizerOption = Choice("--optimizer", "optimizer", "sgd", "sgd", "adam", "adamw", "rmsprop", "adagrad");
    private static readonly Option<string> ScheduleOption =
        Choice("--lr-schedule", "learning-rate schedule: exponential (x --lr-decay each epoch), constant, cosine (annealed to 0 by the last epoch)", "exponential", "exponential", "constant", "cosine");
    private static readonly Option<double> DecayOption = new("--lr-decay")
    {
        Description = "factor applied to the learning rate after each epoch by the exponential schedule",
        DefaultValueFactory = _ => 0.8,
    };
    private static readonly Option<string> InitOption =
        Choice("--init", "weight initialization: default (PyTorch's uniform), normal (seed 004: N(0,1) weights, zero biases), xavier, kaiming", "default", "default", "normal", "xavier", "kaiming");
    private static readonly Option<double> WeightDecayOption = new("--weight-decay") { Description = "weight decay" };
    private static readonly Option<ulong> SeedOption = new("--seed") { Description = "seed of every random choice", DefaultValueFactory = _ => 42UL };
    private static readonly Option<double> ValidationSplitOption = new("--val-split")
    {
        Description = "fraction of the training set held out for validation",
        DefaultValueFactory = _ => 0.1,
    };
    private static readonly Option<double> TestSplitOption = new("--test-split")
    {
        Description = "fraction of a CSV file held out as the test set",
        DefaultValueFactory = _ => 0.2,
    };
    private static readonly Option<int?> Threads = ThreadsOption.Create();
    private static readonly Option<string?> OutOption = new("--out") { Description = "output folder (default runs/<timestamp>)" };
    private static readonly Option<string?> ResumeOption = new("--resume") { Description = "continue from a checkpoint.safetensors written by an earlier run" };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "no live display: plain lines on stderr and one JSON object of final metrics on stdout" };
    private static readonly Option<string[]> TargetOption = new("--target")
    {
        Description = "CSV target columns (regression) or label column (classification), comma-separated; default the last column",
        CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
        DefaultValueFactory = _ => [],
    };
    private static readonly Option<string> TargetScalingOption = Choice("--target-scaling", "regression target scaling", "standard", "standard", "minmax", "none");
    private static readonly Option<string> OutputActivationOption = new("--output-activation")
    {
        Description = "regression output constraint: none, relu, softplus (y >= 0), negative (y <= 0), range:A,B (A <= y <= B)",
        DefaultValueFactory = _ => "none",
    };
    private static readonly Option<string> LossOption = Choice("--loss", "classification loss: ce (softmax cross-entropy) or bce (one sigmoid output)", "ce", "ce", "bce");
    private static readonly Option<bool> DetectAnomalyOption = new("--detect-anomaly")
    {
        Description = "stop at the first op whose forward or backward pass produces NaN or infinity, naming it (slower)",
    };
    private static readonly Option<string> NormalizeOption =
        Choice("--normalize", "input normalization: auto (images: one mean and std over all pixels; CSV: per column), scale (images / 255), standardize, none", "auto", "auto", "scale", "standardize", "none");

    private static readonly Option<int?> EarlyStoppingOption = new("--early-stopping")
    {
        Description = "stop when the validation loss has not improved for N epochs",
    };
    private static readonly Option<string> KeepOption =
        Choice("--keep", "which epoch model.safetensors holds: best (lowest validation loss) or last", "best", "best", "last");

    private static Option<string> Choice(string name, string description, string defaultValue, params string[] choices)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    private static int[] ParseSizes(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size <= 0)
            {
                result.AddError($"Invalid value '{text}' for option --hidden: expected positive layer sizes separated by commas, such as 256,128.");
                return [];
            }
            sizes.Add(size);
        }
        return sizes.ToArray();
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("train", "Train a network on the shipped MNIST digits, Fashion-MNIST, IDX files or a CSV file.");
        Option[] options = [DataOption, TaskOption, ModelOption, HiddenOption, ActivationOption, BatchNormOption, DropoutOption, EpochsOption, BatchSizeOption,
            LearningRateOption, MomentumOption, OptimizerOption, ScheduleOption, DecayOption, InitOption, WeightDecayOption, SeedOption, ValidationSplitOption, TestSplitOption,
            Threads, OutOption, ResumeOption, JsonOption, TargetOption, TargetScalingOption, OutputActivationOption, LossOption, NormalizeOption, DetectAnomalyOption, EarlyStoppingOption, KeepOption];
        foreach (var option in options) command.Options.Add(option);
        CommandLineErrors.AddRange(EpochsOption, 0, "0 or more");
        CommandLineErrors.AddRange(BatchSizeOption, 1, "a positive number");
        CommandLineErrors.AddRange(BatchNormOption, 0, "0 or more");
        CommandLineErrors.AddRange(EarlyStoppingOption, 1, "a positive number of epochs");
        command.SetAction(result => CommandLineErrors.Run(() => Execute(result)));
        return command;
    }

    /// <summary>The configuration the options describe.</summary>
    public static TrainConfig Config(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new TrainConfig
        {
            Data = result.GetValue(DataOption)!,
            Task = result.GetValue(TaskOption)!,
            Model = result.GetValue(ModelOption)!,
            Hidden = result.GetValue(HiddenOption)!,
            Activation = result.GetValue(ActivationOption)!,
            BatchNorm = result.GetValue(BatchNormOption),
            Dropout = result.GetValue(DropoutOption),
            Epochs = result.GetValue(EpochsOption) ?? 10,
            BatchSize = result.GetValue(BatchSizeOption),
            LearningRate = result.GetValue(LearningRateOption),
            Momentum = result.GetValue(MomentumOption),
            Optimizer = result.GetValue(OptimizerOption)!,
            LearningRateSchedule = result.GetValue(ScheduleOption)!,
            LearningRateDecay = result.GetValue(DecayOption),
            Init = result.GetValue(InitOption)!,
            WeightDecay = result.GetValue(WeightDecayOption),
            Seed = result.GetValue(SeedOption),
            ValidationSplit = result.GetValue(ValidationSplitOption),
            TestSplit = result.GetValue(TestSplitOption),
            Target = result.GetValue(TargetOption)!,
            TargetScaling = result.GetValue(TargetScalingOption)!,
            OutputActivation = result.GetValue(OutputActivationOption)!,
            Loss = result.GetValue(LossOption)!,
            Normalize = result.GetValue(NormalizeOption)!,
        }.Validate();
    }

    /// <summary>Checks the options given beside --resume against the checkpoint, prints the plan and returns the total epochs to reach.</summary>
    private static int? PlanResume(ParseResult result, string resume, bool json)
    {
        var saved = Checkpoint.Read(resume, "--resume");
        // A model file has no epoch count; Trainer.Resume says so.
        if (!saved.Metadata.ContainsKey("epoch")) return result.GetValue(EpochsOption);
        var savedConfig = Checkpoint.Config(saved, resume);
        var given = result.CommandResult.Children.OfType<OptionResult>().Where(o => !o.Implicit).Select(o => o.Option.Name).ToArray();
        if (given.Any(name => !ResumePlan.RuntimeOptions.Contains(name)))
            ResumePlan.CheckConflicts(savedConfig, Config(result), given);
        int done = Checkpoint.MetadataInt(saved, "epoch", resume);
        int total = ResumePlan.TotalEpochs(done, savedConfig.Epochs, result.GetValue(EpochsOption));
        (json ? Console.Error : Console.Out).WriteLine(ResumePlan.Describe(resume, done, total));
        return total;
    }

    private static int Execute(ParseResult result)
    {
        var clock = Stopwatch.StartNew();
        ThreadsOption.Apply(result, Threads);
        bool json = result.GetValue(JsonOption);
        string output = result.GetValue(OutOption) ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var resume = result.GetValue(ResumeOption);
        CommandLineErrors.CheckOutputFolder(output, "--out");
        using var outputLock = OutputLock.Acquire(output);
        Trainer trainer;
        if (resume is null)
        {
            var config = Config(result);
            trainer = Trainer.Create(config, DataPreparation.Prepare(config), output);
        }
        else
        {
            trainer = Trainer.Resume(resume, PlanResume(result, resume, json), output, DataPreparation.Prepare);
        }

        trainer.EarlyStoppingPatience = result.GetValue(EarlyStoppingOption);
        bool keepLast = result.GetValue(KeepOption) == "last";

        bool live = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        ITrainingReporter reporter = live ? new LiveReporter(AnsiConsole.Console) : new PlainReporter(json ? Console.Error : Console.Out);
        // Ctrl-C (or SIGTERM, from a job scheduler or `timeout`) stops at the next batch boundary and what exists is
        // written; a second one ends the process at once.
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        });
        try
        {
            using var anomaly = result.GetValue(DetectAnomalyOption) ? Autograd.DetectAnomaly() : null;
            trainer.Run(reporter, interrupt.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            (reporter as IDisposable)?.Dispose();
        }
        var status = json ? Console.Error : Console.Out;
        if (trainer.StopReason == MyTorch.TrainingLoop.StopReason.Cancelled && trainer.History.Epochs.Count == 0)
        {
            status.WriteLine($"Interrupted in epoch 1, before any epoch finished: nothing was written to {trainer.OutputDirectory} (no model, metrics, plot or checkpoint).");
            return CommandLineErrors.Interrupted;
        }
        int keptEpoch = trainer.KeepModel(keepLast);

        // The plot needs only the finished history, and drawing and compressing its 2 MB of pixels keeps one core busy
        // for a moment, so it is drawn beside the test evaluation. Its error, if any, is
        // still reported after the model is saved, and an error before that still wins.
        string plotPath = Path.Combine(trainer.OutputDirectory, "training-curves.png");
        var plot = Task.Run(() => TrainingPlot.Save(plotPath, trainer.History, trainer.Config.IsRegression));
        EvaluationResult test;
        try
        {
            test = trainer.Test();
            Safetensors.Save(Path.Combine(trainer.OutputDirectory, "model.safetensors"), Checkpoint.ModelFile(trainer.Model, trainer.Config, trainer.Data));
        }
        catch
        {
            Task.WaitAny(plot);
            _ = plot.Exception;
            throw;
        }
        plot.GetAwaiter().GetResult();
        var metrics = Metrics.Build(trainer, test, clock.Elapsed.TotalSeconds);
        metrics["model_epoch"] = keptEpoch;
        metrics["best_epoch"] = trainer.BestEpoch;
        metrics["keep"] = keepLast ? "last" : "best";
        metrics["stopped"] = trainer.StopReason switch
        {
            MyTorch.TrainingLoop.StopReason.EarlyStopped => "early-stopping",
            MyTorch.TrainingLoop.StopReason.Cancelled => "interrupted",
            _ => "completed",
        };
        Metrics.Save(Path.Combine(trainer.OutputDirectory, "metrics.json"), metrics);

        if (json)
            Console.Out.WriteLine(metrics.ToJsonString());
        else
            Summary.Print(trainer, test, live);
        if (keptEpoch != trainer.History.Epochs.Count)
            status.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model.safetensors holds epoch {keptEpoch} (lowest validation loss); the checkpoint holds epoch {trainer.History.Epochs.Count}. Use --keep last for the last epoch."));
        else if (!keepLast && trainer.BestEpoch != keptEpoch && trainer.BestEpoch > 0)
            status.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model.safetensors holds the last epoch, {keptEpoch}: the best one, {trainer.BestEpoch}, came before the resume and its weights were not kept."));
        if (trainer.StopReason == MyTorch.TrainingLoop.StopReason.EarlyStopped)
            status.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Stopped early after epoch {trainer.History.Epochs.Count}: no improvement of the validation loss for {trainer.EarlyStoppingPatience} epochs."));
        if (trainer.StopReason == MyTorch.TrainingLoop.StopReason.Cancelled)
        {
            string checkpoint = Path.Combine(trainer.OutputDirectory, "checkpoint.safetensors");
            status.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Interrupted in epoch {trainer.StoppedAt?.Epoch}: wrote the model, metrics and plot of the {trainer.History.Epochs.Count} finished epochs to {trainer.OutputDirectory}; the checkpoint holds epoch {trainer.History.Epochs.Count}."));
            status.WriteLine($"Resume with: mytorch train --resume {checkpoint} --epochs {trainer.Config.Epochs} --out {trainer.OutputDirectory}");
            return CommandLineErrors.Interrupted;
        }
        return CommandLineErrors.Ok;
    }
}
