import IGImaging
import IGModel

/// What a state change asks the outside world to do.
public enum Effect: Equatable, Sendable {
    /// Replace the background work with this request (cancels what it makes obsolete).
    case request(WorkRequest)
    /// Save the current view as a PNG next to the image.
    case save
    /// Leave the viewer.
    case quit
}

/// Something the background worker (or a save) reports to the UI thread.
public enum JobEvent: Sendable {
    case imageLoaded(path: String, image: RGBImage, top: [Prediction])
    case imageFailed(path: String, message: String)
    case progress(JobKey, MapResult)
    case finished(JobKey, MapResult)
    case failed(JobKey, String)
    /// y(x) and y(x') for Integrated Grad-CAM's completeness line.
    case scores(ScoreKey, PathScores)
    case saved(String)
    case saveFailed(String)
}
