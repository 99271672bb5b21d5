import DNBLanguage
import DNBDiffusion

/// What a command needs first, with the command that provides it.
extension Workspace {
    func requireModel() throws -> UNet2DModel {
        guard let model else { throw MissingPrerequisite("no model yet: run `model create` (or `model load path=DIR`) first") }
        return model
    }

    func requireScheduler() throws -> DenoisingScheduler {
        guard let scheduler else { throw MissingPrerequisite("no scheduler yet: run `scheduler create` first") }
        return scheduler
    }

    func requireSchedule() throws -> NoiseSchedule {
        guard let schedule else { throw MissingPrerequisite("no scheduler yet: run `scheduler create` first") }
        return schedule
    }

    func requireData() throws -> LoadedData {
        guard let data else { throw MissingPrerequisite("no dataset yet: run `dataset load` first") }
        return data
    }
}
