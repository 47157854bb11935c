using MyTorch.Data;
using MyTorch.IO;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using MyTorch.TrainingLoop;
using Xunit;

namespace MyTorch.Tests.Docs;

/// <summary>The C# blocks of docs/layers-and-losses.md's "Training loop" section, compiled and run.</summary>
public partial class DocumentationTests
{
    [Fact]
    public void LayersTrainingLoop()
    {
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Root);
        string runFolder = Path.Combine(Path.GetTempPath(), $"mytorch-docs-fit-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runFolder);
        try
        {
            Directory.SetCurrentDirectory(runFolder);
            var (train, validation, test) = Mnist.LoadSplit(Path.Combine(Root, "data", "mnist-10k"), 0.1, new Generator(42));
            var normalizer = InputNormalizer.Standardize().Fit(train.Inputs);
            normalizer.TransformInPlace(train.Inputs);
            normalizer.TransformInPlace(validation.Inputs);

            var generator = new Generator(7);
            var model = new Sequential(new Linear(784, 128, generator: generator), new ReLU(), new Linear(128, 10, generator: generator));
            var optimizer = new SGD(model.Parameters(), learningRate: 0.05, momentum: 0.9);
            var trainer = new Trainer(model, new CrossEntropyLoss(), optimizer)
            {
                Metrics = { Metric.Accuracy },
                Callbacks =
                {
                    new EarlyStopping("val_loss", patience: 3, minDelta: 1e-4),
                    new KeepBestModel("val_loss"),                           // restored into the model at the end
                    new LearningRateSchedule(new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 1)),
                    new MetricsLog("metrics.jsonl", MetricsLog.Format.JsonLines),   // one line per epoch, as it goes
                    new MetricsLog("metrics.csv", MetricsLog.Format.Csv),
                },
                Reporter = new PlainProgressReporter(Console.Out),
            };
            var trainLoader = new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(1)) { ReuseBuffers = true };
            var validationLoader = new DataLoader(validation, batchSize: 256);
            History history = trainer.Fit(trainLoader, epochs: 20, validation: validationLoader);

            Console.WriteLine($"{history.StopReason} after {history.Epochs.Count} epochs; best epoch {history.Best("val_loss")!.Epoch}");

            Assert.InRange(history.Epochs.Count, 4, 20);
            Assert.Null(trainer.GraphReason);   // the steps were replayed by CompiledTrainingStep
            Assert.Equal(history.Epochs.Count, File.ReadAllLines("metrics.jsonl").Length);
            Assert.InRange(history.Best("val_loss")!["val_accuracy"], 0.9, 1);

            // Ctrl-C, a time limit, a button: cancel the token and Fit returns at the next batch, with what it has.
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(30));
            trainer.Fit(trainLoader, epochs: history.Epochs.Count + 5, validation: validationLoader, cancellationToken: cancel.Token);

            Assert.Contains(trainer.History.StopReason, new[] { StopReason.Completed, StopReason.EarlyStopped });

            // Gradient clipping, and a schedule stepped every batch:
            var clipped = new Trainer(model, new CrossEntropyLoss(), optimizer) { MaxGradientNorm = 1.0 };
            clipped.Callbacks.Add(new LearningRateSchedule(new OneCycleLR(optimizer, maxLearningRate: 0.1, epochs: 2, stepsPerEpoch: trainLoader.BatchCount)));
            clipped.Fit(trainLoader, epochs: 2);

            Assert.Equal(2, clipped.History.Epochs.Count);

            // Data beyond memory: any IDataset, with seeded augmentation of (C, H, W) images.
            var images = new TensorDataset(train.Inputs.Narrow(0, 0, 256).Reshape(256, 1, 28, 28), train.Targets.Narrow(0, 0, 256));
            var augment = new Compose(new RandomCrop(28, padding: 2), new RandomHorizontalFlip(), new Normalize(0, 1));
            var augmented = new DataLoader(new TransformedDataset(images, augment, new Generator(3)), batchSize: 64, shuffle: true);
            foreach (var (x, y) in augmented)
            {
                // x: (64, 1, 28, 28), a fresh crop and flip of each image every epoch
            }

            Assert.Equal(4, augmented.BatchCount);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
            Directory.Delete(runFolder, recursive: true);
        }
    }
}
